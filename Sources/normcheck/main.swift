print("normcheck")
