"""Creator portal pages: dashboard, per-video analytics and upload."""
