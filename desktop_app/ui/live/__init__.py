"""The Live view: a camera, video or image file with the model's verdict drawn over it."""
