// RewardData
