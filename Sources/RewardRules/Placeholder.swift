// RewardRules
