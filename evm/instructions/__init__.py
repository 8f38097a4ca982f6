"""Opcode implementations, one family per module. Each opcode is a short function of the frame:
pop its operands, charge its dynamic gas, act, push. The loop has already checked the stack depth
and charged the static gas from the opcode table, and advanced pc past the opcode byte."""
