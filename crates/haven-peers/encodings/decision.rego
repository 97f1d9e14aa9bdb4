# The benchmark decision in Rego (regorus): the UKCIS immediate-referral criteria
# (policies/shared/ukcis_2024.haven) and Basnett Street's staff sanctions table
# (policies/basnett_2024/policy.haven). Input: the haven incident record, unchanged.
# Output: `decision`, a set of [modality, action, [targets]].
#
# Three-valued facts: a fact absent from the record is undefined in Rego, so `== true` and
# `== false` both fail on it: only what definitely follows is decided, as in haven.

package haven

import rego.v1

# Every role that is (or descends from) `staff` in policies/std/vocabulary.haven.
staff_roles := {
	"staff", "teacher", "teaching_assistant", "support_staff", "office_staff",
	"network_manager", "computing_lead", "online_safety_coordinator", "slt", "dsl",
	"deputy_dsl", "headteacher", "deputy_headteacher", "head_of_year", "lead_teacher",
	"line_manager", "practitioner", "supply_staff", "peripatetic_staff", "student_teacher",
	"dpo",
}

# ---------------------------------------------------------------- UKCIS immediate referral

# `people`: the actor, the subject and the others.
people contains input.actor if input.actor

people contains input.subject if input.subject

people contains p if some p in input.others

fact(name) if input.facts[name] == true

referral if fact("adult_involved")

referral if fact("coerced_blackmailed_or_groomed")

referral if fact("capacity_to_consent_concern")

referral if fact("unusual_or_violent_acts")

referral if {
	fact("sexual_acts")
	some p in people
	p.age < 13
}

referral if fact("immediate_risk_of_harm")

decision contains ["must", "refer", ["childrens_social_care", "police"]] if {
	input.category in {"sharing_nudes", "sextortion"}
	referral
}

# ---------------------------------------------------------------- staff sanctions (hit collect)

row contains 1 if {
	input.category == "deliberate_access_inappropriate"
	input.facts.illegal_content_suspected == true
}

row contains 1 if {
	input.category in {"csam", "extreme_pornography", "obscene_adult_content", "criminally_racist_material"}
	input.facts.deliberate == true
}

row contains 2 if input.category == "inappropriate_personal_use"

row contains 3 if input.category == "unauthorised_download"

row contains 4 if input.category == "account_misuse"

row contains 5 if {
	input.category == "data_protection_breach"
	input.facts.deliberate == false
}

row contains 6 if {
	input.category == "data_protection_breach"
	input.facts.deliberate == true
}

row contains 7 if input.category == "hacking_or_virus"

row contains 8 if input.category in {"offensive_message", "cyberbullying"}

row contains 9 if input.category == "staff_personal_comms_with_pupils"

row contains 10 if input.category == "professional_standing"

row contains 11 if input.category == "disrepute"

row contains 12 if input.category == "filter_bypass"

row contains 13 if input.category == "accidental_access_not_reported"

row contains 14 if {
	input.category == "pornography"
	input.facts.deliberate == true
}

row contains 14 if {
	input.category == "deliberate_access_inappropriate"
	input.facts.illegal_content_suspected == false
}

row contains 15 if input.category == "copyright_breach"

# The ticks, row by row (columns LM HT LA Pol Tech W Sus Dis).
ticks := {
	1: ["ht", "la", "pol", "dis"],
	2: ["lm", "ht"],
	3: ["lm", "ht"],
	4: ["lm", "ht", "w", "dis"],
	5: ["lm", "ht"],
	6: ["lm", "ht", "la", "w", "dis"],
	7: ["lm", "ht", "la", "pol", "dis"],
	8: ["lm", "ht", "la", "w", "dis"],
	9: ["lm", "ht", "w", "dis"],
	10: ["lm", "la", "w", "dis"],
	11: ["ht"],
	12: ["lm", "ht"],
	13: ["lm", "ht"],
	14: ["lm", "ht", "pol", "sus"],
	15: ["lm", "ht", "dis"],
}

columns := {
	"lm": ["must", "refer", ["line_manager"]],
	"ht": ["must", "refer", ["headteacher"]],
	"la": ["must", "refer", ["la_hr"]],
	"pol": ["must", "refer", ["police"]],
	"tech": ["must", "refer", ["network_manager"]],
	"w": ["may", "warning", []],
	"sus": ["may", "suspension", []],
	"dis": ["may", "disciplinary_action", []],
}

decision contains columns[c] if {
	input.actor.role in staff_roles
	some r in row
	some c in ticks[r]
}
