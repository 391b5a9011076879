// RewardFeatures
