# Reports one exception through raven-ruby (Debian's ruby-sentry-raven) to the DSN given as the
# first argument and prints the event id, for the end-to-end test to look up. Exits non-zero when
# the event was not delivered.
require "logger"
require "raven"

class PaymentDeclined < StandardError; end

def charge_card(order)
  raise PaymentDeclined, "card declined for order #{order[:id]}" if order[:declined]
end

def checkout(order)
  charge_card(order)
end

failure = nil
Raven.configure do |config|
  config.dsn = ARGV.fetch(0)
  config.release = "faultline-e2e-ruby@1.0.0"
  config.current_environment = "e2e"
  config.logger = Logger.new($stderr, level: Logger::WARN)
  config.transport_failure_callback = ->(_event, error) { failure = error }
end

begin
  checkout(id: 17, declined: true)
rescue PaymentDeclined => e
  event = Raven.capture_exception(e, tags: { suite: "raven-ruby" })
end
if failure || !event
  warn "raven-ruby did not deliver the event: #{failure.inspect}"
  exit 1
end
puts event.id
