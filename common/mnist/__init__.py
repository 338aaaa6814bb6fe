"""What gan_mnist.py alone uses: its images (--data), its evaluation (the scoring classifier,
the grids), G's moving average, and the pictures of a saved generator (--generate,
--interpolate). What both scripts use is one folder up, in common/."""
