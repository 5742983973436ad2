# frozen_string_literal: true

# The Sidekiq application for the sidekiq_jobs scenario: loaded by the `sidekiq -r` process and by
# the scenario itself (the client side). Redis is ECO_HOST:ECO_PORT db 0. The scheduled-job poller
# (which moves due jobs out of the `schedule` and `retry` sorted sets with a Lua script) polls
# about every second instead of every 5-15 s. Jobs record each run (name, arguments, wall-clock
# time) in the list `eco:ran` and their results in the hash `eco:results`.
require "json"
require "sidekiq"

# redis-rb 4.8 warns on every push that Sidekiq 6.4 uses the old SADD API; that is noise here.
Redis.silence_deprecations = true

ECO_REDIS_URL = "redis://#{ENV.fetch("ECO_HOST", "127.0.0.1")}:#{Integer(ENV.fetch("ECO_PORT"))}/0"

Sidekiq.configure_client { |config| config.redis = { url: ECO_REDIS_URL, size: 2 } }
Sidekiq.configure_server do |config|
  config.redis = { url: ECO_REDIS_URL }
  config.options[:poll_interval_average] = 1
end

def eco_ran(name, *args)
  Sidekiq.redis { |c| c.rpush("eco:ran", JSON.generate([name, args, Time.now.to_f])) }
end

class AddJob
  include Sidekiq::Worker
  sidekiq_options queue: "eco"

  def perform(a, b)
    eco_ran("add", a, b)
    Sidekiq.redis { |c| c.hset("eco:results", jid, a + b) }
  end
end

class StampJob
  include Sidekiq::Worker
  sidekiq_options queue: "eco"

  def perform(label)
    eco_ran("stamp", label)
    Sidekiq.redis { |c| c.hset("eco:results", jid, Time.now.to_f) }
  end
end

class FailJob
  include Sidekiq::Worker
  # One retry, 1 s later (Sidekiq's default back-off would be 15 s or more), then the dead set.
  sidekiq_options queue: "eco", retry: 1
  sidekiq_retry_in { |_count, _exception| 1 }

  def perform(why)
    eco_ran("fail", why)
    raise ArgumentError, "job failed on purpose: #{why}"
  end
end
