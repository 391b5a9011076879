// RewardCLI
