"""Sharp Eyes (雪亮工程) cameras: ids, positions and fields of view."""
