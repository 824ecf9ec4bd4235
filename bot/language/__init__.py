"""The language layer: sentences, language detection, number words, values, offer words and stems.

Everything that depends on a language lives here, driven by one data file per
language (`data/<code>.yaml`); the guard's rules ask this layer what a text
says and never hold a word list of their own.
"""
