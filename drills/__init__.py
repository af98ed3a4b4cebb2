"""Failure drills: runnable scripts that break a part of Staffroom on purpose and check what
the issue promises (nothing lost, everyone back), printing one JSON summary each."""
