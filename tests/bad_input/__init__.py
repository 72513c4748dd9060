"""The bad-input corpus (see ``tests/test_bad_input_corpus.py``)."""
