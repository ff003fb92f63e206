"""One spec module per homework: HOMEWORK = Homework(...)."""
