// RewardRemote
