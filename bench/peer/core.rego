# The benchmark's peer: ten of ics-rules' core rules (partnership board composition, the chair,
# PCN clinical directors, collaboration clauses) written in Rego, evaluated by rego-cpp (regopy).
# One result per rule per subject, as ics-rules gives; bench/peer.py checks the two agree.
package ics

import rego.v1

org_types := {o.id: o.type | some o in input.organisations}

member_types := {org_types[m.organisation] | some m in input.partnership_board.members}

verdict(wanted) := "pass" if {
	some t in member_types
	t in wanted
} else := "fail"

board := {
	"LTP-1.52-BOARD-COMMISSIONERS": {"ccg", "integrated_care_board"},
	"LTP-1.52-BOARD-TRUSTS": {"nhs_trust", "nhs_foundation_trust"},
	"LTP-1.52-BOARD-PCNS": {"primary_care_network"},
	"LTP-1.52-BOARD-LOCAL-AUTHORITIES": {"local_authority"},
	"LTP-1.52-BOARD-VOLUNTARY-SECTOR": {"voluntary_sector"},
}

results contains {"rule": rule, "subject": input.ics.code, "status": verdict(wanted)} if {
	some rule, wanted in board
}

chair := input.partnership_board.chair

non_executive := "pass" if chair.non_executive == true else := "fail"

results contains {"rule": "LTP-1.52-CHAIR-NON-EXECUTIVE", "subject": input.ics.code, "status": non_executive}

approved := "pass" if {
	chair.appointment.local == true
	chair.approval.by in {"NHS England and NHS Improvement", "NHS England"}
	chair.approval.date <= input.ics.as_at
} else := "fail"

results contains {"rule": "LTP-1.52-CHAIR-APPROVAL", "subject": input.ics.code, "status": approved}

named(p) := "pass" if {
	p.clinical_director.name
	p.clinical_director.gmc_number
} else := "fail"

accountable(p) := "pass" if p.clinical_director.accountable == true else := "fail"

results contains {"rule": "LTP-1.52-PCN-CLINICAL-DIRECTOR", "subject": p.code, "status": named(p)} if {
	some p in input.primary_care_networks
}

results contains {"rule": "LTP-1.52-PCN-CD-ACCOUNTABLE", "subject": p.code, "status": accountable(p)} if {
	some p in input.primary_care_networks
}

collaborates(c) := "pass" if {
	c.collaboration_clause.reference
	c.collaboration_clause.text
} else := "fail"

results contains {"rule": "LTP-1.52-CONTRACT-COLLABORATION", "subject": c.id, "status": collaborates(c)} if {
	some c in input.provider_contracts
}
