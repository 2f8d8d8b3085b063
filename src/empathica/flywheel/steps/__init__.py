"""One module per analysis step; each registers itself with ``empathica.flywheel.step``."""
