"""Present: house style for charts, ward maps and tables."""
