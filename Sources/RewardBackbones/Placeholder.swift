// RewardBackbones
