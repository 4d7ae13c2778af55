"""The Under the hood view: the model drawn from Keras, one photo's forward pass, why the
verdict, weights that move, one training step by hand, and the photos on a map."""
