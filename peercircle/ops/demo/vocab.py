"""The words the demo organisation is made of: names, places, languages, ways of working.

Invented people with names as common in a northern English borough; real towns with their
approximate coordinates (the demo's "tri-borough" is Leeds, Bradford and Wakefield).
"""

from __future__ import annotations

GIVEN_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Sophie", "Emily", "Lily", "Freya",
    "Charlotte", "Hannah", "Chloe", "Ruby", "Evie", "Jessica", "Lucy", "Rachel", "Sarah", "Helen",
    "Claire", "Joanne", "Karen", "Lisa", "Nicola", "Michelle", "Emma", "Kelly", "Laura", "Gemma",
    "Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Oscar", "Charlie", "Thomas",
    "James", "William", "Daniel", "Matthew", "David", "Michael", "Paul", "Mark", "Andrew", "Steven",
    "Gareth", "Craig", "Lee", "Darren", "Wayne", "Stuart", "Neil", "Ian", "Graham", "Keith",
    "Aisha", "Fatima", "Maryam", "Zainab", "Amina", "Sana", "Nadia", "Yasmin", "Priya", "Anjali",
    "Harpreet", "Simran", "Mohammed", "Ahmed", "Imran", "Bilal", "Tariq", "Usman", "Hamza", "Ravi",
    "Arjun", "Sunil", "Gurpreet", "Rajinder", "Oluwaseun", "Chidi", "Ngozi", "Adaeze", "Kwame",
    "Kofi", "Abena", "Femi", "Tunde", "Blessing", "Precious", "Marcus", "Tyrone", "Jerome",
    "Winston", "Shanice", "Zofia", "Katarzyna", "Agnieszka", "Magdalena", "Piotr", "Tomasz",
    "Krzysztof", "Andrei", "Ioana", "Elena", "Siobhan", "Niamh", "Aoife", "Ciaran", "Declan",
    "Rhiannon", "Cerys", "Dylan", "Rhys", "Hamid", "Farida", "Abdi", "Hodan", "Yonas", "Selam",
    "Mei", "Wei", "Lin", "Jun", "Nasrin", "Shirin", "Dariusz", "Marta", "Lukas", "Jonas",
)  # fmt: skip

FAMILY_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
    "Clarke", "Hughes", "Harrison", "Lewis", "Edwards", "Turner", "Hill", "Moore", "Cooper",
    "Ward", "Morris", "King", "Watson", "Baker", "Holmes", "Booth", "Sutcliffe", "Ackroyd",
    "Firth", "Haigh", "Crowther", "Hirst", "Pickles", "Shaw", "Barker", "Dyson", "Lockwood",
    "Khan", "Hussain", "Ali", "Ahmed", "Begum", "Akhtar", "Iqbal", "Mahmood", "Rashid", "Bibi",
    "Patel", "Singh", "Kaur", "Sharma", "Gill", "Sandhu", "Mistry", "Chauhan", "Okafor", "Adeyemi",
    "Mensah", "Boateng", "Owusu", "Okonkwo", "Campbell", "Grant", "Francis", "Stewart", "Kowalski",
    "Nowak", "Wisniewski", "Lewandowska", "Popescu", "Ionescu", "O'Brien", "Murphy", "Kelly",
    "Byrne", "McCarthy", "Hassan", "Mohamud", "Warsame", "Tesfaye", "Haile", "Chen", "Wong",
    "Zhang", "Karimi", "Rahimi", "Novak", "Kazlauskas", "Morgan", "Price", "Jenkins", "Lloyd",
)  # fmt: skip

# (town, latitude, longitude): the three boroughs and their neighbours.
TOWNS = (
    ("Leeds", 53.7997, -1.5492), ("Headingley", 53.8194, -1.5773), ("Horsforth", 53.8370, -1.6430),
    ("Morley", 53.7401, -1.5986), ("Pudsey", 53.7960, -1.6610), ("Otley", 53.9050, -1.6920),
    ("Wetherby", 53.9280, -1.3860), ("Garforth", 53.7920, -1.3880), ("Rothwell", 53.7490, -1.4780),
    ("Bradford", 53.7960, -1.7594), ("Shipley", 53.8330, -1.7770), ("Bingley", 53.8480, -1.8380),
    ("Keighley", 53.8676, -1.9110), ("Ilkley", 53.9250, -1.8220), ("Queensbury", 53.7680, -1.8440),
    ("Wakefield", 53.6830, -1.4977), ("Pontefract", 53.6910, -1.3120),
    ("Castleford", 53.7250, -1.3620), ("Ossett", 53.6800, -1.5800),
    ("Normanton", 53.7000, -1.4160), ("Horbury", 53.6600, -1.5560),
    ("Hemsworth", 53.6110, -1.3520), ("South Elmsall", 53.5960, -1.2800),
    ("Batley", 53.7160, -1.6270), ("Dewsbury", 53.6910, -1.6330),
)  # fmt: skip

# Common, then rarer, then rare: a matching engine must cope with the one Tigrinya speaker.
LANGUAGES_COMMON = ("Urdu", "Punjabi", "Polish", "Bengali", "Arabic", "Romanian")
LANGUAGES_RARER = ("Gujarati", "Somali", "Portuguese", "Kurdish", "Lithuanian", "Mandarin")
LANGUAGES_RARE = ("Tigrinya", "Pashto", "British Sign Language", "Romani", "Welsh", "Yoruba")

CARER_WORK = (
    "teenagers", "under fives", "sibling groups", "parent and child", "disabilities",
    "short breaks", "unaccompanied children", "emergency placements", "long term",
)  # fmt: skip
STAFF_WORK = (
    "fostering assessments", "supervising social work", "recruitment", "family time",
    "duty and referrals", "training", "administration", "independent reviewing",
)  # fmt: skip
GUARDIAN_WORK = (
    "unaccompanied minors", "age assessments", "asylum claims", "trafficking",
    "family tracing", "education", "health appointments",
)  # fmt: skip
EXPERIENCE = (
    "young person questioning their sexuality", "an allegation", "a placement ending",
    "a move to adoption", "special guardianship", "court proceedings", "school exclusion",
    "self-harm", "contact with birth family", "a child with autism", "a child seeking asylum",
    "going missing", "county lines",
)  # fmt: skip
NEEDS = (
    "first placement", "managing contact", "behaviour that challenges", "education and school",
    "paperwork and reviews", "support after an allegation", "looking after myself",
    "life story work", "a teenager's independence",
)  # fmt: skip
BACKGROUND = (
    "teacher", "nurse", "social worker", "police", "youth worker", "engineer", "retail",
    "care worker", "childminder", "armed forces", "office manager", "chef", "bus driver",
    "midwife", "accountant", "pastor",
)  # fmt: skip
PERSONALITY = ("reflective", "practical", "outgoing", "calm", "direct", "nurturing")
LEARNING_STYLE = ("talking it through", "seeing examples", "trying things", "reading")

# Working-hours patterns (days 0 = Monday), each as "Mon-Fri 9-17"-like runs.
CARER_HOURS = (
    ((0, 4, 9, 15),),  # school hours
    ((0, 4, 10, 14), (5, 5, 10, 13)),
    ((0, 3, 18, 21),),  # evenings
    ((0, 6, 10, 20),),
    ((1, 3, 9, 12), (5, 6, 10, 16)),
)
STAFF_HOURS = (
    ((0, 4, 9, 17),),
    ((0, 4, 9, 17),),  # the common case, twice as likely
    ((0, 3, 8, 18),),  # compressed week
    ((0, 2, 9, 17),),  # part time
    ((1, 5, 10, 18),),
    ((0, 4, 12, 20),),  # late shift
    ((0, 4, 7, 15),),  # early shift
)

GENDERS = (("woman", 60), ("man", 37), ("non-binary", 3))
ETHNICITIES = (
    ("White British", 62), ("Pakistani", 9), ("Indian", 4), ("Black Caribbean", 3),
    ("Black African", 4), ("White other", 6), ("Mixed", 4), ("Bangladeshi", 2),
    ("Chinese", 1), ("Arab", 1), ("Gypsy or Irish Traveller", 1), ("White Irish", 2),
    ("Prefer not to say", 1),
)  # fmt: skip
CULTURES = (
    "Yorkshire", "Muslim", "Sikh", "Hindu", "Christian", "Polish", "Caribbean", "West African",
    "Irish", "Romanian", "Somali", "Eritrean", "Jewish", "Roma",
)  # fmt: skip
RELATIONSHIP = (
    ("married", 45), ("single", 25), ("civil partnership", 5), ("living together", 12),
    ("divorced", 9), ("widowed", 4),
)  # fmt: skip

TRAINING_TITLES = (
    "Safeguarding refresher", "Trauma-informed care", "Mentoring skills", "Recording and GDPR",
    "Managing allegations", "Supporting contact", "Therapeutic parenting",
    "Online safety for carers", "First aid", "Reflective practice",
)  # fmt: skip

# Meeting places of the demo's pairs; calls need none.
MEETING_PLACES = (
    "Café at Kirkgate Market", "The Corn Exchange café", "Ossett library café",
    "Bingley Arts Centre café", "Pudsey Park tearooms", "Wakefield One, ground floor café",
    "Costa, Bradford Broadway", "Morley town hall café", "Garden centre café, Horbury",
    "Otley Courthouse café",
)  # fmt: skip

# What a new carer and their mentor talk about, roughly in the order it comes up. The demo's
# record sheets are written from these; they are stored encrypted like any record.
DISCUSSION_NEW_CARER = (
    "Getting to know each other. Talked about why we both came into fostering and agreed what "
    "we want from the next months: understanding who does what in the service, and feeling "
    "less on our own.",
    "The first weeks of the new placement. Sleep is still difficult; we went through the "
    "bedtime routine that worked for me with a child of the same age.",
    "Preparing for the first looked-after child review: what the independent reviewing officer "
    "asks, what to write in the carer's report, and bringing the daily log.",
    "Contact with birth family. The handovers in the car park are tense; we talked about "
    "asking the supervising social worker for a supervised handover at the family centre.",
    "School: the personal education plan meeting is next week. Went through what to ask for "
    "and how the virtual school can help with tutoring.",
    "Looking after yourself: the household is tired after the summer holidays. Talked about "
    "respite, the carers' support group and saying no to extra requests for a while.",
    "Delegated authority: which decisions the carer can make (haircuts, sleepovers, school "
    "trips) and which need the social worker. Agreed to ask for it to be written down.",
    "Reflecting on the first months: much more confident with paperwork and reviews; contact "
    "still the hardest part.",
)
DISCUSSION_SPECIFIC = (
    "Agreed the focus: getting on top of the recording and the paperwork before the annual "
    "review. Looked at the daily log together.",
    "Went through the annual review form section by section and what evidence to attach.",
    "Training portfolio: which courses count towards the yearly minimum and how to book them.",
    "Practised writing a clear, factual log entry about a difficult evening.",
    "The annual review is close; went over the feedback from the supervising social worker.",
)
DISCUSSION_STRAINED = (
    "A hard month: the young person was excluded from school for two days and the carer is "
    "exhausted. Talked through what happened and who can help; agreed to flag it.",
    "Things have not settled: the carer feels they are not being listened to by the placing "
    "authority and would like the coordinator's help to get a meeting.",
)
HELPFUL = (
    "Having someone who has been through it.",
    "Going through the forms step by step.",
    "Just being listened to, without being judged.",
    "The practical tips for contact days.",
    "Knowing I can text in between meetings.",
    "Meeting somewhere quiet, away from home.",
)
NOT_HELPFUL = (
    "",
    "",
    "We ran out of time.",
    "The café was too noisy to talk properly.",
    "Had to cut it short for the school run.",
)
# (who does it, what): "mentor" or "mentee" in mentoring, either party in peer support.
ACTIONS = (
    ("mentee", "Ask the supervising social worker for the delegated authority in writing"),
    ("mentor", "Send the checklist I use before reviews"),
    ("mentee", "Book the trauma-informed care course"),
    ("mentee", "Ring the virtual school about tutoring"),
    ("mentor", "Find the dates of the next carers' support group"),
    ("mentee", "Start a log of contact days: times, mood before and after"),
    ("mentor", "Introduce the mentee to a carer who fosters teenagers"),
    ("mentee", "Ask for a respite weekend before half term"),
    ("mentee", "Write the carer's report for the review"),
    ("mentor", "Share the template letter for the school"),
)
SUPPORT_REQUEST = (
    "Could someone call me this week? The placement is getting very hard in the evenings and I "
    "am not sure who to ask about respite over half term."
)
CONCERN_NOTE = (
    "Rang the carer: things are hard at home but the supervising social worker is involved. "
    "Offered a respite weekend and will check in again after the next meeting."
)
CLOSED_NOTE = (
    "Spoke to both. The extra hours were temporary cover at work, now over; the mentee has "
    "asked for help with paperwork instead. Nothing more needed."
)
AGREEMENT_PURPOSE_SPECIFIC = (
    "A six-month mentoring relationship with one purpose: getting on top of the recording and "
    "the paperwork before the annual review."
)
AGREEMENT_GOALS = (
    "Three goals for the first months: understanding who does what in the fostering service; "
    "preparing for the first review of the placement; managing contact days calmly."
)
AGREEMENT_GOALS_REVISED = (
    "Goals reviewed at three months. Done: understanding who does what. Still working on: "
    "contact days. New: preparing for the annual review, and asking for a respite weekend "
    "before the winter."
)
ALLEGATION_NOTES = (
    "Referred to the designated officer (LADO). Strategy discussion arranged; the carer has "
    "been told and offered independent support."
)
FEEDBACK_MENTOR = {
    "went_well": "We got on from the first meeting and met every month.",
    "helped": "The support group and knowing the coordinator was there if needed.",
    "difficult": "Finding times that suited both of us in the school holidays.",
    "better": "A short guide for mentors on how to end well.",
}
FEEDBACK_MENTEE = {
    "goals": "Yes: I understand the reviews and the paperwork now, and contact is calmer.",
    "helped": "Talking to someone who has fostered for years and is not assessing me.",
    "confidence": "Much more confident, and I know other carers now.",
    "better": "Meeting more often in the first two months.",
}
