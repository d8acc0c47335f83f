"""Training the bundled offline model (needs scikit-learn, which alt-profanity-check brings)."""
