"""What the tests (and `studio models tiny`) build: never part of a generation the studio ships."""
