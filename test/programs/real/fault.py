# With REWIND_AGENT_FAULT=faulty_helper.py the agent fails when it first meets that file.
print("start")
before = 1  # @before
import faulty_helper  # noqa: E402
after = faulty_helper.value + before
print("end", after)
