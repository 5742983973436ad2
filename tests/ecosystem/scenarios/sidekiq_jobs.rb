# frozen_string_literal: true

# Sidekiq 6.4 (Debian's ruby-sidekiq) with Redis at ECO_HOST:ECO_PORT.
#
# Jobs are pushed with Sidekiq::Client (perform_async / perform_in) before a `sidekiq -r
# ./sidekiq_app.rb -c 1 -q eco` process starts; it runs them and is stopped by PID (TERM). Its
# scheduled-job poller moves due jobs with a Lua script (EVALSHA of LUA_ZPOPBYSCORE). Checks:
# results of 10 jobs run in FIFO order, a job pushed while the process runs, a job scheduled with
# perform_in that runs after (not before) its time, a failing job retried once (via the retry
# set) and then in the dead set with its error, each job ran the expected number of times, and
# that the server ran scripts.
$LOAD_PATH.unshift(__dir__)
require "tmpdir"
require "sidekiq/api"
require "sidekiq_app"

TIMEOUT = 30
DELAY = 1.5

def check(cond, what, *details)
  raise "#{what}#{details.empty? ? "" : ": " + details.map(&:inspect).join(" | ")}" unless cond
end

def eq(actual, expected, what)
  check(actual == expected, what, "expected #{expected.inspect}", "got #{actual.inspect}")
end

def wait_until(timeout, what)
  deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
  loop do
    v = yield
    return v if v
    raise "timed out after #{timeout}s waiting for #{what}" if Process.clock_gettime(Process::CLOCK_MONOTONIC) >= deadline

    sleep 0.02
  end
end

def scripts_run
  stats = Sidekiq.redis { |c| c.info("commandstats") }
  %w[eval evalsha eval_ro evalsha_ro fcall fcall_ro].sum do |name|
    s = stats[name]
    s ? s["calls"].to_i - s["failed_calls"].to_i : 0
  end
end

def ran
  Sidekiq.redis { |c| c.lrange("eco:ran", 0, -1) }.map { |x| JSON.parse(x) }
end

def results
  Sidekiq.redis { |c| c.hgetall("eco:results") }
end

Sidekiq.redis(&:flushdb)
scripts_before = scripts_run

adds = (0...10).map { |i| AddJob.perform_async(i, i * 10) }
eq(adds.uniq.size, 10, "job ids are distinct")
scheduled_at = Time.now.to_f + DELAY
later = StampJob.perform_in(DELAY, "later")
failing = FailJob.perform_async("boom")
eq(Sidekiq::Queue.new("eco").size, 11, "jobs wait in the queue before sidekiq starts")
eq(Sidekiq::ScheduledSet.new.map(&:jid), [later], "the scheduled set holds the perform_in job")

log = File.join(Dir.tmpdir, "eco-sidekiq-#{Process.pid}.log")
pid = Process.spawn("sidekiq", "-r", File.join(__dir__, "sidekiq_app.rb"), "-c", "1", "-q", "eco",
                    "-t", "5", chdir: __dir__, in: File::NULL, out: log, err: [:child, :out])
ok = false
begin
  wait_until(TIMEOUT, "10 add results") { adds.all? { |jid| results.key?(jid) } }
  eq(adds.map { |jid| results[jid].to_i }, (0...10).map { |i| i * 11 }, "add results")
  eq(ran.select { |x| x[0] == "add" }.map { |x| x[1] }, (0...10).map { |i| [i, i * 10] },
     "jobs ran in FIFO order")

  now_jid = AddJob.perform_async(20, 22)
  wait_until(TIMEOUT, "a job pushed while sidekiq runs") { results.key?(now_jid) }
  eq(results[now_jid].to_i, 42, "its result")

  wait_until(TIMEOUT, "the scheduled job") { results.key?(later) }
  ran_at = results[later].to_f
  check(ran_at >= scheduled_at - 0.05, "scheduled job ran after its time", ran_at - scheduled_at)
  eq(Sidekiq::ScheduledSet.new.size, 0, "scheduled set empty")

  wait_until(TIMEOUT, "the failing job in the dead set") { Sidekiq::DeadSet.new.size == 1 }
  dead = Sidekiq::DeadSet.new.first
  eq(dead.jid, failing, "dead job's id")
  eq(dead["error_class"], "ArgumentError", "dead job's error class")
  eq(dead["error_message"], "job failed on purpose: boom", "dead job's error message")
  eq(dead["retry_count"], 1, "dead job's retry count (one retry)")
  eq(Sidekiq::RetrySet.new.size, 0, "retry set empty")

  runs = ran.map { |x| [x[0], x[1]] }
  expected = (0...10).map { |i| ["add", [i, i * 10]] } + [["add", [20, 22]], ["stamp", ["later"]],
                                                          ["fail", ["boom"]], ["fail", ["boom"]]]
  eq(runs.sort_by(&:to_s), expected.sort_by(&:to_s), "each job ran once, the failing one twice")
  used = scripts_run - scripts_before
  check(used >= 2, "the poller moved the scheduled job and the retry with its Lua script", used)
  check(Process.waitpid(pid, Process::WNOHANG).nil?, "sidekiq still running")
  ok = true
ensure
  status = nil
  begin
    Process.kill("TERM", pid)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 15
    while (status = Process.waitpid2(pid, Process::WNOHANG)).nil? &&
          Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline
      sleep 0.05
    end
    if status.nil?
      Process.kill("KILL", pid)
      status = Process.waitpid2(pid)
    end
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  end
  if !ok || ENV["ECO_VERBOSE"]
    puts "--- sidekiq log ---\n#{File.read(log)}--- end of sidekiq log ---" if File.exist?(log)
  end
  File.delete(log) if File.exist?(log)
end
eq(status && status[1].exitstatus, 0, "sidekiq exits cleanly on TERM")
Sidekiq.redis(&:flushdb)
puts "sidekiq_jobs: all checks passed"
