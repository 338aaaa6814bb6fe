"""What gan_mnist.py alone uses: its images (--data), its evaluation (the scoring classifier,
the grids), G's moving average, --generate and --interpolate. Both scripts': common/."""
