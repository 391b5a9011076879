// RewardHeads
