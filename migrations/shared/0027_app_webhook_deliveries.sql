-- App webhooks (issue 17): an app's owner reads the deliveries to the app across its users, newest first, and
-- the delivery worker asks whether anything reached the app's endpoint lately, for any user.
CREATE INDEX webhook_deliveries_to_endpoint ON webhook_deliveries (endpoint, created_at DESC, id);
CREATE INDEX webhook_deliveries_delivered_to_endpoint ON webhook_deliveries (endpoint, delivered_at);
