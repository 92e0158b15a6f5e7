"""Push delivery: the ``PushSender`` interface and the FCM message it implies (sender.py),
its FCM and logging implementations (fcm_sender.py, log_sender.py), ``make_sender``
(backends.py) that picks one from the configuration, and the outbox that drives them."""
