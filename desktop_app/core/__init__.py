"""Plain Python: the dataset on disk, image decoding, hashing, progress and errors. No Qt, no Keras."""
