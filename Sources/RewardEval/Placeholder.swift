// RewardEval
