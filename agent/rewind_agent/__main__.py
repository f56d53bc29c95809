from rewind_agent.runner import main

main()
