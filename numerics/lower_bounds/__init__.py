"""Section 5: finite groups, statistical-query quantities and the logical task."""
