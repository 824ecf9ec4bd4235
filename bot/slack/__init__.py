"""Rapport in Slack: a thin Bolt edge over the same services as the command line.

Listeners ack at once, parse the payload into a model, call one service in a
lazy function on the worker pool, build Block Kit with pure functions, post.
"""
