print("mithai")
