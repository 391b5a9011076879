// RewardSpec
