"""Periodic jobs without a system cron: `manage.py run_scheduler` queues each job's
task for the background worker at the times settings.LEADSITE_SCHEDULES names, once
per due time however many schedulers run (a unique ScheduledRun row per job and due
time), and catches a missed time up once. The app imports none of ours: the jobs'
tasks are named by dotted path in settings."""
