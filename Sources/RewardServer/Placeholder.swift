// RewardServer
