"""The live event feed: MQTT ingester and simulator (see README, "Live feed")."""
