"""Push delivery: the ``PushSender`` interface (sender.py), its FCM and logging implementations,
and ``make_sender`` (senders.py) that picks one from the configuration."""
