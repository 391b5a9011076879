// RewardTensor
