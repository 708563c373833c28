"""The cycle presets a district starts from. Once a year is planned, its rules are rows the
district can change (weekday, week, months skipped, attendees, agenda) and plan again."""

from __future__ import annotations

import datetime as dt

from districtpm.core.roles import Role as R

MON, TUE, WED, THU = 0, 1, 2, 3

PRESETS: dict[str, dict] = {
    "performance-dialogues": {
        "name": "Performance Dialogues",
        "skip_months": [],
        "rules": [
            {
                "kind": "explore",
                "name": "Performance Dialogues: Explore",
                "weekday": TUE,
                "week": 1,
                "month_offset": 0,
                "start_time": dt.time(8, 0),
                "minutes": 120,
                "attendees": "The priority's action team with the senior leadership team",
                "attendee_roles": [
                    R.SENIOR_LEADER,
                    R.PM_OFFICE,
                    R.ACTION_TEAM_LEAD,
                    R.ACTION_TEAM_MEMBER,
                ],
                "agenda": [
                    "Deep dive: annual results and process data for the priority",
                    "What is working and what is not",
                    "Barriers to putting the action plan in place",
                    "Decisions the senior leadership team needs to make",
                    "Status updates from the other priorities",
                ],
            },
            {
                "kind": "engage",
                "name": "Performance Dialogues: Engage",
                "weekday": MON,
                "week": 3,
                "month_offset": 0,
                "start_time": dt.time(13, 0),
                "minutes": 90,
                "attendees": "District leadership from every division",
                "attendee_roles": [
                    R.SENIOR_LEADER,
                    R.PM_OFFICE,
                    R.NETWORK_SUPERVISOR,
                    R.ACTION_TEAM_LEAD,
                    R.ACTION_TEAM_MEMBER,
                ],
                "agenda": [
                    "Where the priority's action plans stand",
                    "Connections across divisions and departments",
                    "Requests for support",
                ],
            },
            {
                "kind": "empower",
                "name": "Performance Dialogues: Empower",
                "weekday": THU,
                "week": 2,
                "month_offset": 1,
                "use_calendar": "study_session",
                "start_time": dt.time(17, 30),
                "minutes": 120,
                "attendees": "The Board of Education at its monthly study session",
                "attendee_roles": [R.BOARD_MEMBER, R.SENIOR_LEADER, R.PM_OFFICE],
                "agenda": [
                    "Progress toward the plan's goals for the priority",
                    "Policy questions raised by the action plans",
                ],
            },
        ],
    },
    "pm-sessions": {
        "name": "PM sessions",
        "skip_months": [],
        "rules": [
            {
                "kind": "pm_session",
                "name": "PM session",
                "weekday": WED,
                "week": 2,
                "month_offset": 0,
                "start_time": dt.time(9, 0),
                "minutes": 120,
                "attendees": "Division chiefs and the teams working on the focal area",
                "attendee_roles": [
                    R.SENIOR_LEADER,
                    R.PM_OFFICE,
                    R.ACTION_TEAM_LEAD,
                    R.ACTION_TEAM_MEMBER,
                ],
                "agenda": [
                    "Leading and lagging indicators: 10 to 12 charts",
                    "The initiative's process map and the hand-offs between divisions",
                    "What to change, and who does it by when",
                ],
            }
        ],
    },
}
