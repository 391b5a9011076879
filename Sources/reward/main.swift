print("reward")
