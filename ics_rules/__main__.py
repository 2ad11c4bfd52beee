from .cli import main

main(prog_name="ics-rules")
