"""Reading evidence: question frames, short answers, reasons, and declining when the evidence does not answer.

Pure functions over hand-made evidence (no store): each case is one sentence pattern a newsroom
question meets, and the answer the reader must give for it.
"""

from __future__ import annotations

from datetime import date

import pytest

from rag.cite import stem
from rag.question import DATE, MONEY, NUMBER, PERCENT, PERSON, PLACE, QUOTE, REASON, THING, analyse, window_of
from rag.reader import read
from rag.reader.decision import reports_event
from rag.types import Evidence


def evidence(*texts: str, title: str = "Story", published_at: str = "2022-06-20") -> list[Evidence]:
    """One chunk per text, each its own article (offsets from 0)."""
    return [
        Evidence(f"a{n}:0", f"a{n}", title, "Wire", published_at, "", text, 0, len(text), 1.0 / (n + 1))
        for n, text in enumerate(texts)
    ]


def short_answer(question: str, *texts: str, title: str = "Story") -> str | None:
    """The short answer the reader cuts for the question from one article per text (None: none)."""
    reading = read(analyse(question), evidence(*texts, title=title))
    return reading.span.text if reading.span is not None else None


# ---------------------------------------------------------------- frames


@pytest.mark.parametrize(
    ("question", "kind", "focus"),
    [
        ("Who succeeded Steve Jobs as Apple's CEO?", PERSON, ""),
        ("Which country elected its first-ever leftist leader this week?", PLACE, "country"),
        ("Which country's prime minister resigned this week?", PLACE, "country"),
        ("How many hot dogs did Joey Chestnut eat?", NUMBER, "dog"),
        ("How much did the bidder pay for lunch with Warren Buffett?", MONEY, ""),
        ("What was the magnitude of the quake?", NUMBER, "magnitude"),
        ("Why did Japan reduce aid to China?", REASON, ""),
        ("Americans will pay more to heat their homes this winter due to what?", REASON, ""),
        ("Who resigned because of what the report found?", PERSON, ""),  # "because of what" mid-question
        ("When will NASA next attempt to launch Artemis I?", DATE, ""),
        ("Where is Mar-a-Lago located?", PLACE, ""),
        ("What did Wang Yi say?", QUOTE, ""),
        ("What did a single track cost on the UK iTunes store?", MONEY, ""),
        ("What did prosecutors charge John Smith with?", THING, ""),
        # "her name" asks for a person; "the name of the ship" does not
        ("A critic of Trump lost her House seat this week. What is her name?", PERSON, ""),
        # "v. Wade" ends no sentence: the question is the whole line
        (
            "According to a survey, what percentage of adults disapprove of overturning Roe v. Wade?",
            PERCENT,
            "percentage",
        ),
    ],
)
def test_the_kind_of_answer_asked_for(question: str, kind: str, focus: str) -> None:
    frame = analyse(question, date(2022, 6, 20))
    assert (frame.kind, frame.focus) == (kind, focus)


@pytest.mark.parametrize(
    ("question", "plural"),
    [
        ("Which two countries are forging closer ties?", True),
        ("Which countries joined NATO?", True),  # "countries" is the plural of "country"
        ("How many hours did the workers strike?", False),  # a count is one number, never two joined
        ("Which of the following US cities saw the biggest increase?", False),  # one of them
        ("Which airline announced a deal to buy Spirit Airlines?", False),  # a name later is no plural
    ],
)
def test_several_asked_for(question: str, plural: bool) -> None:
    assert analyse(question).plural is plural


@pytest.mark.parametrize(
    ("question", "role"),
    [
        ("Who succeeded Steve Jobs?", "agent"),
        ("What did Motegi plan to raise?", "patient"),
        ("Which firm did DaimlerChrysler sell the Chrysler Group to?", "recipient"),
        ("To which firm did DaimlerChrysler sell the Chrysler Group?", "recipient"),
    ],
)
def test_the_part_asked_for_in_the_event(question: str, role: str) -> None:
    assert analyse(question).role == role


def test_named_things_and_the_event() -> None:
    frame = analyse("Who succeeded Steve Jobs as Apple's CEO?")
    assert "Steve Jobs" in frame.names and "Apple" in frame.names
    assert frame.events and all(e.startswith("succ") for e in frame.events)
    assert frame.role == "agent"  # the one asked for did the succeeding
    assert analyse("What did Motegi plan to raise?").role == "patient"


@pytest.mark.parametrize(
    ("words", "since"),
    [
        ("this week", "2022-10-13"),
        ("yesterday", "2022-10-18"),
        ("this month", "2022-10-01"),
        ("on Monday", "2022-10-17"),
        ("in 2021", "2021-01-01"),  # an article of 2022 may still tell what happened in 2021
        ("over the last year", "2021-10-19"),
    ],
)
def test_time_words_bound_the_evidence(words: str, since: str) -> None:
    window = window_of(f"Which prime minister resigned {words}?", date(2022, 10, 19))
    assert window.since == since
    assert window_of("Who succeeded Steve Jobs?", date(2022, 10, 19)).bounded is False


# ---------------------------------------------------------------- short answers


def test_short_answer_is_the_asked_for_person_not_a_named_one() -> None:
    frame = analyse("Who succeeded Steve Jobs as Apple's CEO?")
    reading = read(
        frame,
        evidence(
            "Former Microsoft CEO Bill Gates responded to the death of Steve Jobs with a statement on his blog.",
            "The former Chief Operating Officer, Tim Cook will be succeeding Jobs as CEO of Apple.",
        ),
    )
    assert reading.answered, reading.missing
    assert reading.span is not None and reading.span.text == "Tim Cook"
    assert "Tim Cook" in reading.support[0].sentence.text


def test_short_answer_span_points_into_the_article() -> None:
    text = "Gusenbauer received 88.93% of the vote, an unexpectedly low value, at the party convention."
    reading = read(analyse("What share of the vote did Gusenbauer receive?"), evidence(text))
    assert reading.span is not None
    assert text[reading.span.start : reading.span.end] == reading.span.text == "88.93%"


@pytest.mark.parametrize(
    ("question", "text", "short"),
    [
        # the amount itself, not its qualifier; the unit the question gave is not repeated
        ("How much more aid did Chrysler ask for?", "Chrysler asked for an additional US$5 billion.", "US$5 billion"),
        ("How many years was his sentence?", "A judge sentenced Harris to 12 years in prison on Wednesday.", "12"),
        # words the small model takes into an amount are not part of it
        (
            "How much does it cost to raise a child?",
            "The agency estimated that it cost a middle-income, married couple $233,610 to raise a child.",
            "$233,610",
        ),
        # a possessive and end punctuation are not part of the answer
        ("Which country's leader fled the nation?", "Sri Lanka's president fled the country on a jet.", "Sri Lanka"),
        # "from which city": the city, not its country
        ("From which city did the jet take off?", "The jet took off from Seattle in the United States.", "Seattle"),
        # "GM" is the General Motors the question names, not the buyer
        (
            "Which company had General Motors agreed to sell Opel to?",
            "GM said it was cancelling a deal to sell Opel to Magna, a Canadian parts company.",
            "Magna",
        ),
        # words pointing at the answer are not part of it; "how old": the age, not the phrase
        ("How many bills did the House pass?", "The House passed only these 187 bills in May.", "187"),
        ("How old is the pilot?", "The 17-year-old pilot landed in Sofia on Monday.", "17"),
        # "Covid" is part of the question's "Covid-19", whatever the small model calls it (a person here)
        (
            "Which member of the administration tested positive for Covid-19 again?",
            "Covid struck the White House again on Monday, and Jill Biden is isolating.",
            "Jill Biden",
        ),
        # an age counts years: a speed or a size is no answer to "how old"
        ("How old is the pilot?", "Flying at 186 mph, the pilot, 17, landed in Sofia on Monday.", "17"),
        # the whole proper name, where the small model tags only its first word
        ("Which team does Watson play for?", "Watson has been suspended by the Cleveland Browns.", "Cleveland Browns"),
        # a nationality names no thing: the thing it qualifies does
        (
            "Which currency plunged to a record low against the US dollar?",
            "The British pound plunged to a record low against the US dollar on Monday.",
            "British pound",
        ),
        # "how many": a count, never a share or an amount of money; "an estimated" is not part of it
        (
            "How many iPods did Apple sell in the quarter?",
            "Profits rose 78 percent as Apple sold an estimated 21,000,000 iPods in the quarter.",
            "21,000,000",
        ),
        # "which city": a newspaper is no city, and the city's own name may end in "City"
        (
            "In which city did Time Warner Cable plan to test its phone service?",
            "The Journal reported that Time Warner would test the new phone service in Kansas City.",
            "Kansas City",
        ),
        # the question's own noun alone names nothing new: "which condiment" is not answered "condiment"
        (
            "Stores across France are struggling to stock which condiment?",
            "Shops say the condiment is gone: mustard is missing from shelves across France.",
            "mustard",
        ),
        # "how many": a number, over a vague count
        (
            "How many baby swings were recalled?",
            "Millions of products are recalled each year; this week 2 million baby swings were recalled.",
            "2 million",
        ),
        # everyday and former names are countries too, and "the U.S." compares as "us"
        ("Which country hosted the summit?", "Leaders met in Turkey, where President Trump spoke.", "Turkey"),
        ("Which country did the envoy visit?", "The envoy flew to the U.S. on Monday, Trump said.", "U.S."),
        ("Which country did the band tour?", "The band toured Scotland, Trump said on Tuesday.", "Scotland"),
        ("Which country invaded Ukraine in February?", "Russia invaded Ukraine on February 24.", "Russia"),
        # a country's name inside another name is not the country
        ("Which country did the suspect flee to?", "Scotland Yard said the suspect fled to Spain.", "Spain"),
        ("Which country did the minister visit?", "The minister visited Japan, the Korea Herald reported.", "Japan"),
        # a hyphenated name joins two names: "John" of "Newton-John" is not the question's own word
        (
            "Who was Olivia Newton-John married to?",
            "She is survived by her husband, John Easterling.",
            "John Easterling",
        ),
        # an event-defined answer comes from the sentence reporting that event, about the subject
        # the event on the wrong side: Akerson succeeding Whitacre does not say who succeeded Akerson
        (
            "Who succeeded Akerson as chief executive of General Motors?",
            "Mary Barra, who took over from Akerson, became chief executive of General Motors in January. "
            "Akerson succeeded Ed Whitacre in 2010.",
            "Mary Barra",
        ),
        # "whom" is what the event acts on, whatever the small model's parse says
        (
            "Whom did Mary Barra replace as chief executive of General Motors?",
            "Mary Barra took over as chief executive of General Motors from Daniel Akerson in January. "
            "Dan Ammann replaced Barra as head of product development.",
            "Daniel Akerson",
        ),
        # an office asked for ("as chief executive") is not another one: Solso replaced him as chairman
        (
            "Who replaced Daniel Akerson as GM chief executive?",
            "General Motors today named Mary Barra as its new chief executive. "
            "Akerson will also relinquish his chairman role, to be replaced by current director Theodore Solso.",
            "Mary Barra",
        ),
        (
            "Who was set to chair Sears Holdings?",
            "Edward Lampert, the chairman of Kmart, will become the chairman of Sears Holdings, while Alan Lacy, "
            "chairman and chief executive of Sears, will be the new chief executive. Alan Lacy praised the deal.",
            "Edward Lampert",
        ),
        # a name's own title says what they were, not what the event made them
        (
            "Who succeeded Steve Jobs as Apple's CEO?",
            "Tim Cook, Apple's chief operating officer, succeeds Steve Jobs, the company said on Wednesday.",
            "Tim Cook",
        ),
        # another person's title, a speaker's: no word on the office the event gave
        (
            "Who succeeded Steve Jobs as Apple's CEO?",
            "Tim Cook succeeded Steve Jobs, former chairman Arthur Levinson said. "
            "Phil Schiller was upbeat about Steve Jobs's successor.",
            "Tim Cook",
        ),
        # "replace … as chairman" is the subject's office; "named … as" gives the object its office
        (
            "Who replaced Daniel Akerson as GM chief executive?",
            "Theodore Solso will replace Akerson as chairman, while Mary Barra becomes chief executive.",
            "Mary Barra",
        ),
        # a deputy is not the office; the Premier League is no premier
        (
            "Who replaced Johnson as prime minister?",
            "Dominic Raab was named deputy prime minister, and Liz Truss succeeded Johnson.",
            "Liz Truss",
        ),
        (
            "Who replaced Graham Potter as Chelsea manager?",
            "Chelsea said Frank Lampard replaced Graham Potter, the Premier League club said. "
            "Chelsea owner Todd Boehly spoke on Thursday.",
            "Frank Lampard",
        ),
        # leaving an office is not being given it, unless leaving is what is asked
        (
            "Who was named as Uber's chief executive?",
            "Travis Kalanick resigned as chief executive in June, and Dara Khosrowshahi took the job in August.",
            "Dara Khosrowshahi",
        ),
        (
            "Who replaced Travis Kalanick as Uber's chief executive?",
            "After Travis Kalanick was replaced, Ryan Graves ran the board and Dara Khosrowshahi stepped in as "
            "chief executive.",
            "Dara Khosrowshahi",
        ),
        (
            "Who resigned as Uber's chief executive?",
            "Travis Kalanick resigned as chief executive in June, and Dara Khosrowshahi took the job in August.",
            "Travis Kalanick",
        ),
        # someone else's event: his chief of staff stepping down is not Ridge stepping down
        (
            "When did Tom Ridge step down?",
            "Tom Ridge, the governor, left office on 5 October 2001. His chief of staff stepped down in 1998.",
            "5 October 2001",
        ),
        # a number goes with the noun it counts
        (
            "How many baby swings were recalled this week?",
            "The recall covers 220,000 RockaRoo rockers and 2 million MamaRoo swings sold since 2015.",
            "2 million",
        ),
        # a town asked for, with the state or country written after it (but no list of countries)
        (
            "From which city did the Boeing 787 make its first test flight?",
            "Boeing's newest aircraft made its first test flight Tuesday in Everett, Washington at 18:00 UTC.",
            "Everett, Washington",
        ),
        (
            "In which town is the largest ball of twine?",
            "The ball of twine is on show in the downtown of Cawker City, Kansas, which anyone can visit.",
            "Cawker City, Kansas",
        ),
        ("In which city is the company based?", "The company is based in Paris, France.", "Paris, France"),
        ("Which state passed the law?", "The law was signed in Everett, Washington on Monday.", "Washington"),
        ("In which town did they meet?", "They met in Lima, Bolivia, Brazil, Chile and Peru.", "Lima"),
        # a length of time is no answer to "when?"
        (
            "When had Japan last been in recession?",
            "Japan may be entering its deepest recession in a decade. Japan has not been in recession since 2001.",
            "2001",
        ),
        (
            "How many iPods did Apple sell?",
            "Apple sold 1.6 million computers in the quarter, against 21 million iPod players a year before.",
            "21 million",
        ),
        (
            "How many cases of monkeypox are there in the US?",
            "The government will send 400,000 vials to states as cases reach 10,000 nationwide.",
            "10,000",
        ),
        # an organisation's fuller spelling adds only words that designate one ("Automotive Group")
        (
            "Which company did General Motors pick to buy its Saturn brand?",
            "General Motors picked Penske to buy its Saturn brand. Penske Automotive Group will buy the Saturn brand.",
            "Penske Automotive Group",
        ),
        # "sold … to?": whom it went to, not the seller under its new name
        (
            "Which firm did DaimlerChrysler sell the Chrysler Group to?",
            "The name change of DaimlerChrysler to Daimler AG is pending. DaimlerChrysler is selling the "
            "Chrysler Group to private equity firm Cerberus Capital Management for US$7.4 billion.",
            "Cerberus Capital Management",
        ),
        # a common noun with the nouns compounded with it, not its adjectives ("newer")
        (
            "What ancient find was uncovered in a Texas riverbed?",
            "The drought uncovered tracks in a Texas riverbed, where newer dinosaur tracks were also found.",
            "dinosaur tracks",
        ),
        # an exact count the small model labels a date still counts ("12 days"), over "millions of days"
        ("How many days did the strike last?", "The strike lasted 12 days. Millions of days of work were lost.", "12"),
        # the question's irregular plural is the counted noun's own word
        ("How many women were elected?", "Voters elected 40 men and 12 women to the assembly.", "12"),
        # "how long?" is answered by a length of time
        ("How long has the drought lasted?", "The drought has lasted a decade, officials said.", "decade"),
        # a place the small model tags as a person, known by its address ("Toulouse in France")
        (
            "From which city did the Airbus A380 take off on its first flight?",
            "The Airbus A380 has made its maiden flight after lifting off from Toulouse in France.",
            "Toulouse",
        ),
        # a country that starts the next clause is no town's region
        (
            "In which city did the talks take place?",
            "After talks in Beijing, Russia agreed to supply more gas to China.",
            "Beijing",
        ),
        ("In which town was the summit held?", "At the summit in Geneva, Iran said it would talk.", "Geneva"),
        # a name the small model does not tag, which the sentence calls the asked-for noun
        (
            "Which prime minister was accused of punching the ambassador?",
            "Serge Vohor, the Prime Minister of Vanuatu, was accused of punching the ambassador.",
            "Serge Vohor",
        ),
        # the sentence calls it the asked-for noun, though the small model reads it as a person
        (
            "Which company had GM agreed to sell Opel to?",
            "GM said it was cancelling a deal with Fiat to sell Opel to Magna, a Canadian automobile parts company.",
            "Magna",
        ),
        # "what was it called?": the words after "called", not a name not said to be the plan's
        (
            "What was the name of the Airbus restructuring plan?",
            "Lufthansa praised Airbus for its restructuring program, called Power8, in which 10,000 jobs go.",
            "Power8",
        ),
        (
            "What is the mission called?",
            "NASA and Boeing will fly the mission, called Artemis 1, from Florida.",
            "Artemis 1",
        ),
        # … and not whom someone "called" on the phone, nor words after a quote's end or an "and"
        (
            "What was the plan called?",
            "Biden called Putin on Monday to discuss the plan, which Airbus named Power8.",
            "Power8",
        ),
        ("What was the plan called?", "Ford unveiled a plan called 'Way Forward', an official said.", "Way Forward"),
        ("What was the plan called?", "Airbus has a plan called Power8 and Boeing responded with cuts.", "Power8"),
        # … but not a name the sentence gives to another thing the question mentions
        (
            "What was the name of the mission that hit an asteroid?",
            "The spacecraft of the DART mission hit an asteroid called Dimorphos on Monday.",
            "DART",
        ),
        (
            "What is the variant called?",
            "Doctors in New York say the variant now spreading, called BA.5, evades vaccines.",
            "BA.5",
        ),
        # someone asked for by office is named with it, as the sentence writes it
        (
            "Which head of state announced his resignation this week?",
            "UK Prime Minister Boris Johnson announced his resignation on Thursday.",
            "UK Prime Minister Boris Johnson",
        ),
        (
            "Which high-ranking US official tested positive for Covid-19 this week?",
            "President Joe Biden tested positive for Covid-19 on Thursday, the White House said.",
            "President Joe Biden",
        ),
        # asked by another noun, the name alone; a lower-case word before it is no title
        ("Which star tested positive for Covid-19?", "Actor Tom Hanks tested positive for Covid-19.", "Tom Hanks"),
        ("Which official resigned on Friday?", "The embattled official Mike Pompeo resigned on Friday.", "Mike Pompeo"),
        # a capitalised word starting the sentence is no title
        (
            "Which official was indicted?",
            "Former President Donald Trump was indicted on Thursday.",
            "President Donald Trump",
        ),
    ],
)
def test_the_short_answer_is_the_thing_itself(question: str, text: str, short: str) -> None:
    reading = read(analyse(question), evidence(text))
    assert reading.span is not None and reading.span.text == short
    assert text[reading.span.start : reading.span.end] == short  # still exact offsets into the article


def test_a_vague_count_loses_to_an_exact_count_of_the_same_thing() -> None:
    """ "Millions of baby swings" (in the headline too) is no answer to "how many" when the evidence
    counts them exactly."""
    question = "How many baby swings and rockers were recalled this week?"
    texts = (
        "Millions of baby swings and rockers have been recalled this week, the safety commission said.",
        "The recall covers 2 million MamaRoo swings and 220,000 RockaRoo rockers.",
    )
    reading = read(analyse(question), evidence(*texts, title="Millions of baby swings and rockers recalled"))
    assert reading.span is not None and reading.span.text == "2 million"


@pytest.mark.parametrize(
    ("question", "texts", "short"),
    [
        # the small model's MONEY label on a count with no currency does not make it an amount
        (
            "How many iPods did Apple sell in the quarter?",
            ("Apple sold more than 21 million iPod players and about 1.6 million computers in the quarter.",),
            "21 million",
        ),
        # a number counting another thing the question names ("provinces") is no count of the cranes
        (
            "How many paper cranes did Thailand drop over its southern provinces?",
            (
                "Millions of origami cranes have been dropped on Thailand's three southern provinces.",
                "Up to 120 million such paper sculptures were dropped on the provinces.",
            ),
            "120 million",
        ),
        # … but the asked-for noun before a number labels it: "a magnitude 5.9 earthquake" counts no quake
        # (a guard for the rule above)
        (
            "An earthquake killed more than 1,000 people. What was the magnitude of the quake?",
            (
                "A magnitude 5.9 earthquake struck the country's east, killing more than 1,000 people.",
                "The quake registered at a depth of 10 kilometers, according to USGS.",
            ),
            "5.9",
        ),
    ],
)
def test_a_count_is_of_the_thing_asked_for(question: str, texts: tuple[str, ...], short: str) -> None:
    assert short_answer(question, *texts) == short


@pytest.mark.parametrize(
    ("question", "texts", "short"),
    [
        # another superlative: the sentence's own words ("interest") make it another thing
        (
            "Which country has the highest inflation rate in the G20?",
            ("Turkey has the highest interest rate in the G20, while Argentina has the highest inflation rate.",),
            "Argentina",
        ),
        # a looser one ("the most medals") loses to the one repeating all the question's words
        (
            "Which country won the most gold medals?",
            ("The United States won the most medals overall, while China won the most gold medals.",),
            "China",
        ),
        # predicted, or no longer so, is not had
        (
            "Which candidate won the most votes?",
            ("Polls had predicted John Smith would win the most votes, but Mary Jones won the most votes on Tuesday.",),
            "Mary Jones",
        ),
        (
            "Which state has the most cases?",
            ("California no longer has the most cases; Texas overtook it last week.",),
            "Texas",
        ),
        # a subject not of the asked-for kind changes nothing
        (
            "Which state has the most cases?",
            ("Los Angeles County has the most cases in the state.", "California has reported 4,300 cases."),
            "California",
        ),
        # a number counting the asked-for thing by another of its words ("migrants" for "migrant workers")
        ("How many migrant workers died in Qatar?", ("More than 6,500 migrants have died in Qatar.",), "6,500"),
    ],
)
def test_a_superlative_or_a_count_read_no_further_than_it_says(
    question: str, texts: tuple[str, ...], short: str
) -> None:
    assert short_answer(question, *texts) == short


def test_a_superlative_subject_of_is_is_answered_by_what_it_is_said_to_be() -> None:
    """A new user got "China" (the headline's country) while the cited sentence said India."""
    reading = read(
        analyse("Which country is the biggest recipient of Japan's ODA aid?"),
        evidence(
            "Japan will reduce its ODA aid to China, Japanese officials said. China's economy has grown, and"
            " Japan's ODA aid to China will total $8.9bn this year. Currently, the biggest recipient of"
            " Japan's ODA aid is India.",
            title="Japan to reduce aid to China",
        ),
    )
    assert reading.span is not None and reading.span.text == "India"


@pytest.mark.parametrize(
    ("question", "superlative"),
    [
        ("Which state has the most confirmed cases of monkeypox?", ("most", "confirm", "case")),
        ("Which US Senate seat is most likely to flip in the midterm elections?", ("most", "likely")),
        ("Which country has the highest inflation rate in the G20?", ("highest", "inflation", "rate")),
        ("Which state has the second most cases?", ()),  # a rank, not the superlative
        ("Which state has the most cases? Use the latest figures.", ("most", "case")),  # the asking clause's
        ("Who was the first woman to lead the country?", ()),
    ],
)
def test_the_superlative_asked(question: str, superlative: tuple[str, ...]) -> None:
    assert analyse(question).superlative == superlative


@pytest.mark.parametrize(
    ("question", "texts", "short"),
    [
        # the subject of the question's own superlative, over a show named more often
        (
            "Which show received the most nominations for the Emmy Awards?",
            (
                "Ted Lasso and Succession led the field. Ted Lasso was nominated again this year.",
                "“Succession” earned the most nominations of any show, a total of 25 nods.",
            ),
            "Succession",
        ),
        # "most confirmed cases" repeated as "the most cases", in a sentence that scores low
        (
            "Which state has the most confirmed cases of monkeypox?",
            (
                "Texas reported its first confirmed monkeypox case in June, the state said.",
                "California has the most cases: 4,300.",
            ),
            "California",
        ),
        # a state named as the asked-for seat by the clause ("remains the seat most likely to flip")
        (
            "Which US Senate seat is most likely to flip in the midterm elections?",
            (
                "Republicans hope to flip seats held by Democrats in the midterm elections.",
                "Pennsylvania, which Biden won in 2020, remains the seat most likely to flip this fall.",
            ),
            "Pennsylvania",
        ),
    ],
)
def test_a_superlative_is_answered_by_its_subject(question: str, texts: tuple[str, ...], short: str) -> None:
    assert short_answer(question, *texts, title="Ted Lasso, Texas and the Emmys") == short


def test_a_count_of_another_thing_loses_to_a_count_of_the_asked_for_thing() -> None:
    """ "Banned at least 2,500 times" (in the headline too) is no number of book titles when the
    evidence counts the titles ("1,586 book titles")."""
    question = "Approximately how many book titles have been banned in US schools over the last year?"
    texts = (
        "Over the last year, books were banned at least 2,500 times by more than 130 school districts.",
        "The bans affected 1,586 book titles, according to the analysis.",
    )
    reading = read(analyse(question), evidence(*texts, title="Schools banned books 2,500 times"))
    assert reading.span is not None and reading.span.text == "1,586"


def test_the_short_answer_is_of_the_kind_the_question_names() -> None:
    """ "Which condiment", "which holiday": the embedding model knows what is one (mustard, not
    Paris or Canada; Independence Day, not August or Delhi)."""
    for question, text, short in [
        (
            "Stores are struggling to stock which condiment?",
            "Supermarkets in Paris have run out of mustard after a poor harvest in Canada.",
            "mustard",
        ),
        (
            "Which holiday did India celebrate this week?",
            "In August crowds in Delhi marked Independence Day with parades.",
            "Independence Day",
        ),
    ]:
        reading = read(analyse(question), evidence(text))
        assert reading.span is not None and reading.span.text == short


@pytest.mark.parametrize(
    ("question", "text"),
    [
        # a person, a party or a people's word is no country, however well the rest matches
        ("What country elected its first-ever leftist leader this week?", "Trump was elected in a landslide."),
        ("Which continent will require a common charger?", "The European Union will require a common charger."),
        ("Which two countries signed the pact?", "Democrats and Republicans signed the pact on Monday."),
    ],
)
def test_no_other_thing_answers_which_country_or_continent(question: str, text: str) -> None:
    reading = read(analyse(question), evidence(text))
    assert reading.span is None


def test_the_citation_goes_to_the_best_ranked_article_stating_the_answer() -> None:
    """The answer may be read across articles; it is cited where retrieval found it most relevant,
    from a sentence that states it as well, never from one that merely names it."""
    frame = analyse("Who succeeded Steve Jobs as Apple's CEO?")
    stated = evidence(
        "Tim Cook succeeded Steve Jobs as chief executive of Apple on Wednesday, the company said.",
        "Tim Cook succeeded Steve Jobs as CEO of Apple.",
    )
    reading = read(frame, stated)
    assert reading.span is not None and reading.span.text == "Tim Cook"
    assert reading.span.sentence.sentence.evidence_index == 0
    named = evidence("Tim Cook will speak at the launch on Monday.", "Tim Cook succeeded Steve Jobs as CEO of Apple.")
    reading = read(frame, named)
    assert reading.span is not None and reading.span.sentence.sentence.evidence_index == 1


def test_the_answer_comes_from_an_article_naming_the_subject() -> None:
    """A better-ranked article about something else is skipped, not used to answer for it."""
    reading = read(
        analyse("Which studio sued Loki Torrent?"),
        evidence(
            "Sony Music sued a file-sharing network in Sweden.",
            "Columbia Pictures sued Loki Torrent, a BitTorrent tracker, this week.",
        ),
    )
    assert reading.span is not None and reading.span.text == "Columbia Pictures"


def test_a_model_number_is_part_of_the_name() -> None:
    """The iPhone 4 is not the iPhone 5 asked about, and its "4" is no count of anything."""
    reading = read(
        analyse("How many iPhone 5 units did Apple sell in its first weekend?"),
        evidence("Apple sold 1.7 million iPhone 4 units in the first three days."),
    )
    assert not reading.answered and any("iPhone 5" in m for m in reading.missing)


def test_a_reason_is_answered_with_the_sentence_giving_it() -> None:
    frame = analyse("Why were some Kia and Hyundai SUVs recalled this week?", date(2022, 8, 25))
    reading = read(
        frame,
        evidence(
            "Kia and Hyundai sold more SUVs in the US this year than ever before, the companies said.",
            "Some Kia and Hyundai SUVs were recalled over fire risks, and owners should park outside.",
        ),
    )
    assert reading.answered
    assert "fire risks" in reading.support[0].sentence.text
    assert reading.span is not None and reading.span.text == "fire risks"


def test_a_sentence_restating_the_event_gives_no_reason() -> None:
    """The sentence "has proposed to reduce aid" matches "to reduce", a purpose cue, but it is the event asked
    about; the article's judgement of China is the reason."""
    frame = analyse("Why did Japan reduce aid to China?", date(2004, 11, 17))
    restated = "Japan's Diet has proposed to reduce economic assistance given to China."
    reason = "China is increasingly being seen as a competitor in Japan, and its aid is criticized."
    found = [Evidence("a:0", "a", "Japan to reduce aid to China", "Wire", "2004-11-16", "", restated, 0, 72, 1.0)]
    found.append(Evidence("a:1", "a", "Japan to reduce aid to China", "Wire", "2004-11-16", "", reason, 80, 168, 0.5))
    reading = read(frame, found)
    assert "competitor" in reading.support[0].sentence.text
    assert all("proposed" not in s.sentence.text for s in reading.support)


@pytest.mark.parametrize(
    ("question", "sentence", "cue"),
    [
        ("What prompted the strike by teachers?", "The strike was prompted by pay cuts.", True),
        ("Why did Japan reduce aid to China?", "Japan's Diet has proposed to reduce economic assistance.", False),
        ("Why was Smith jailed?", "The court resentenced him on Monday.", False),
        ("Why was Smith jailed?", "He was accustomed to the press.", False),
        ("Why was Smith jailed?", "He was last seen as he boarded a bus.", False),
        ("Why was Smith jailed?", "Smith was accused of fraud.", True),
        ("Why did Japan reduce aid to China?", "China is increasingly seen as a competitor.", True),
    ],
)
def test_what_counts_as_a_reason_cue(question: str, sentence: str, cue: bool) -> None:
    from rag.reader.sentences import kind_cue

    assert kind_cue(analyse(question, date(2022, 6, 20)), sentence) == (1.0 if cue else 0.0)


def test_a_reason_stated_outright_leads_from_any_chunk_of_the_article() -> None:
    """The best sentences sit in one chunk, the outright "following …" in another of the same article."""
    frame = analyse("Why was Daniel Akerson giving up the top job at General Motors?", date(2013, 12, 11))
    first = "General Motors recovered a year after the appointment of Daniel Akerson as its top boss."
    second = "Akerson plans to stand down on January 15 following his wife's advanced cancer diagnosis."
    found = [
        Evidence("a:1", "a", "Barra to lead General Motors", "Wire", "2013-12-10", "", first, 900, 988, 1.0),
        Evidence("a:0", "a", "Barra to lead General Motors", "Wire", "2013-12-10", "", second, 0, 89, 0.5),
    ]
    reading = read(frame, found)
    assert reading.support[0].sentence.text == second
    assert reading.span is not None and reading.span.text == "his wife's advanced cancer diagnosis"


def test_a_because_inside_someone_elses_quote_is_not_the_reason() -> None:
    """Thompson's "because" is his reasoning about food safety; "reasons for his resignation" is Ridge's."""
    frame = analyse("Why did Tom Ridge resign?", date(2004, 12, 1))
    thompson = (
        "Several days after Ridge's announcement, Tommy Thompson announced his departure, stating, "
        '"I cannot understand why the terrorists have not attacked our food supply because it is so easy to do."'
    )
    ridge = "He cited family and personal issues as major reasons for his resignation."
    found = [
        Evidence("a:0", "a", "Tom Ridge resigns", "Wire", "2004-11-30", "", thompson, 0, len(thompson), 1.0),
        Evidence("a:1", "a", "Tom Ridge resigns", "Wire", "2004-11-30", "", ridge, 300, 300 + len(ridge), 0.5),
    ]
    reading = read(frame, found)
    assert reading.support[0].sentence.text == ridge
    assert all("Thompson" not in s.sentence.text for s in reading.support)  # "after" is when, not why


def test_why_is_answered_with_the_subjects_own_words_when_no_reason_is_stated_outright() -> None:
    frame = analyse("Why did Kostov resign?", date(2004, 11, 16))
    restated = "Prime minister Hari Kostov of Macedonia has resigned from his position as of Monday."
    said = 'The BBC quoted Kostov to have said that "there is no will for genuine teamwork" within the coalition.'
    other = "The referendum was declared null and void due to a low turnout."
    found = [
        Evidence("a:0", "a", "Kostov resigns", "Wire", "2004-11-15", "", f"{restated} {said} {other}", 0, 300, 1.0)
    ]
    reading = read(frame, found)
    assert reading.support[0].sentence.text == said


def test_a_time_word_is_no_reason_and_the_subjects_words_must_not_restate_the_event() -> None:
    gas = analyse("Why are gas prices falling?", date(2022, 8, 10))
    since = "Gas prices have tumbled by 86 cents since hitting a record average high of $5.02 on June 14."
    driven = "The steady decline in gas prices has been driven by recession fears that knocked down oil prices."
    reading = read(gas, evidence(f"{since} {driven}"))
    assert reading.support[0].sentence.text == driven
    truss = analyse("Why did Liz Truss resign?", date(2022, 10, 21))
    again = '"I am resigning as Leader of the Conservative Party," Truss said outside Downing Street.'
    why = "Truss said she would step aside after her own lawmakers said they could not support her any longer."
    reading = read(truss, evidence(f"Liz Truss resigned on Thursday. {again} {why}"))
    assert reading.support[0].sentence.text == why


@pytest.mark.parametrize(
    ("question", "text", "leads"),
    [
        (  # another speaker naming the subject is not the subject's own words
            "Why did Kostov resign?",
            "Hari Kostov has resigned. Opposition leader Nikola Gruevski told reporters that Kostov was never up "
            "to the job. The government collapsed because the coalition partners refused to back his reforms.",
            "The government collapsed because",
        ),
        (  # another person's resignation, outright, is not the subject's
            "Why did Kostov resign?",
            "Kostov stepped down because the coalition partners would not cooperate. Earlier this year the "
            "interior minister resigned in protest over the decentralisation law.",
            "Kostov stepped down because",
        ),
        (  # a quotation runs across the narration: Ridge's "because" is outside it
            "Why did Tom Ridge resign?",
            '"I have served for years. It is done," said Ridge, who resigned because of family and personal '
            'issues, "and I will miss it." Analysts expect more departures because a second term is starting.',
            "It is done",
        ),
    ],
)
def test_the_reason_that_leads_is_the_subjects(question: str, text: str, leads: str) -> None:
    reading = read(analyse(question, date(2004, 12, 1)), evidence(text))
    assert leads in reading.support[0].sentence.text


def test_a_by_or_a_time_is_no_reason_or_way() -> None:
    how = analyse("How did Sophos count the spam?", date(2004, 12, 1))
    text = "Sophos counted the spam through an audit of its honeypots. Shares of the firm rose by 3 percent on the day."
    reading = read(how, evidence(text))
    assert all("Shares" not in s.sentence.text for s in reading.support)
    why = analyse("Why did gas prices fall?", date(2022, 8, 10))
    reading = read(why, evidence("Gas prices have fallen over the past two months, drivers say."))
    assert reading.span is None or "month" not in reading.span.text


# ---------------------------------------------------------------- declining


def test_an_answer_from_an_older_story_than_those_found_is_less_sure() -> None:
    """Asked before the news broke, the nearest match is often an earlier, other event: when newer
    coverage was found, an answer from a story a month older counts against answering."""
    question = "Which university did Gavin Newsom say will eliminate student loans for undergraduates?"
    old, new = (
        "Gavin Newsom said Stanford will eliminate student loans for undergraduates from low-income families.",
        "Gavin Newsom faced questions over student loans for undergraduates as fees rise.",
    )
    found = evidence(old, published_at="2022-03-01")
    newer = Evidence("b:0", "b", "Story", "Wire", "2022-06-20", "", new, 0, len(new), 0.5)
    alone = read(analyse(question, date(2022, 6, 21)), found)
    with_newer = read(analyse(question, date(2022, 6, 21)), [*found, newer])
    assert alone.features["superseded"] == 0.0 and with_newer.features["superseded"] == 1.0
    assert with_newer.confidence < alone.confidence


def test_an_expected_event_is_not_the_event() -> None:
    frame = analyse("When did Daniel Akerson step down as chief executive of General Motors?")
    reading = read(
        frame, evidence("Daniel Akerson plans to step down as chief executive of General Motors on January 15.")
    )
    assert not reading.answered
    assert any("only expect" in m for m in reading.missing)


@pytest.mark.parametrize(
    ("question", "event"),
    [
        ("What price did Aeroflot agree to pay Boeing for its Dreamliners?", "pay"),
        ("Which bill failed to pass the Senate?", "pass"),
        ("Which company decided to close its stores?", "close"),
    ],
)
def test_a_verb_of_intent_is_not_the_event_the_verb_it_governs_is(question: str, event: str) -> None:
    events = analyse(question).events
    assert stem(event) in events and not events & {"agree", "fail", "decide"}, events


def test_a_bare_verb_after_did_is_the_event_though_the_small_model_reads_a_noun() -> None:
    """ "Where did Mary Barra study?": spaCy tags "study" a noun, and the question had no event, so an
    article naming her anywhere answered it ("General Motors")."""
    assert analyse("Where did Mary Barra study?").events == {stem("study")}
    assert not analyse("How much did the deal cost?").events  # a measure asks the amount, not an event


def test_reporting_the_event_means_as_having_happened() -> None:
    frame = analyse("Whom did Jill Biden meet this week?")
    assert reports_event(frame, "Jill Biden met Olena Zelenska at the White House on Tuesday.")
    assert not reports_event(frame, "She did not elaborate on the agenda for her upcoming meeting with Zelenska.")
    assert not reports_event(frame, "Biden expects to meet Zelenska next week. The two spoke by phone.")


def test_a_place_named_by_its_people_is_no_answer_to_where_and_a_bearing_is_part_of_it() -> None:
    reading = read(
        analyse("Where did the Chinese submarine enter Japanese waters?"),
        evidence(
            "A Chinese submarine from the People's Republic of China entered Japanese waters southwest of Okinawa."
        ),
    )
    assert reading.span is not None and reading.span.text == "southwest of Okinawa", reading.span


def test_an_event_named_as_a_noun_and_still_to_come_is_not_the_event() -> None:
    reading = read(
        analyse("On what date did the judge formally sentence Scott Peterson to death?"),
        evidence("The jury recommended death for Peterson. The official sentence will be announced on February 25."),
    )
    assert not reading.answered and any("only expect" in m for m in reading.missing)


def test_an_amount_without_a_currency_is_no_price() -> None:
    """The "787" of "Boeing 787 Dreamliners" is no price, however the sentence matches."""
    reading = read(
        analyse("What price did Aeroflot agree to pay Boeing for its 22 Dreamliners?"),
        evidence("Aeroflot has negotiated the purchase of 22 new Boeing 787 Dreamliners, which the 787 line needs."),
    )
    assert reading.span is None or "787" not in reading.span.text
    assert not reading.answered and any("no money" in m for m in reading.missing)


def test_a_day_is_no_count() -> None:
    """ "October 25" holds a number, but it is a day: no answer to "how many passengers"."""
    reading = read(
        analyse("How many passengers were on board the first charity flight to Sydney?"),
        evidence("The A380 will make a special charity flight on October 25 from Singapore to Sydney."),
    )
    assert reading.span is None
    assert not reading.answered and any("no number" in m for m in reading.missing)


def test_the_question_event_must_be_in_the_evidence() -> None:
    frame = analyse("Who succeeded Mary Barra as chief executive of General Motors?")
    reading = read(
        frame,
        evidence(
            "General Motors today named Mary Barra as its new chief executive.",
            "Barra, 51, will be the first woman to lead a firm in the American auto industry.",
            title="Mary Barra appointed as General Motors chief",
        ),
    )
    assert not reading.answered
    assert any("says it happened (“succeed”)" in m for m in reading.missing), reading.missing


def test_named_things_must_be_in_the_evidence() -> None:
    reading = read(
        analyse("Was the Kelmora ferry bombed?"), evidence("A ferry sank off the coast of Greece on Monday.")
    )
    assert not reading.answered and any("Kelmora" in m for m in reading.missing)


def test_an_answer_defined_by_the_event_comes_from_a_sentence_reporting_it() -> None:
    """ "Whom did Barra replace?": the person in "She replaces Daniel Akerson", not a chief executive of
    General Motors from another article that matches the question's words better."""
    reading = read(
        analyse("Whom did Mary Barra replace as chief executive of General Motors?"),
        evidence(
            "General Motors today named Mary Barra as its new chief executive. Barra, 51, will be the first "
            "woman to lead a carmaker. She replaces Daniel Akerson, who led the company since 2009.",
            "Fritz Henderson, the chief executive of General Motors, outlined a plan for a new General Motors.",
        ),
    )
    assert reading.answered and reading.span is not None and reading.span.text == "Daniel Akerson"


def test_a_name_is_found_by_its_stem_not_by_its_first_letters() -> None:
    """A people's word names its country (Australian/Australia), but "Austin" names no Australia."""
    from rag.reader.sentences import is_named_in

    assert is_named_in("Australia", "the australian open")
    assert is_named_in("China", "chinese officials")
    assert is_named_in("Taiwanese", "taiwan's president")  # either way round
    assert is_named_in("Germany", "german officials")
    assert is_named_in("Steve Jobs", "jobs said") and is_named_in("Kmart", "kmart's stores")
    assert is_named_in("Covid-19", "covid cases rose")
    assert is_named_in("Almería", "police in almeria")  # with or without its accent
    assert is_named_in("Israel", "israelis protested") and is_named_in("China", "chinese-made goods")
    assert is_named_in("Greece", "greek voters") and is_named_in("French", "france")  # irregular people's words
    assert is_named_in("Macs", "the mac mini") and is_named_in("Companies", "the company")
    assert is_named_in("Covid-19", "covid-related deaths")
    assert not is_named_in("Guinea-Bissau", "guinea's president")  # another country
    assert not is_named_in("Australia", "austin butler filmed it")
    assert not is_named_in("India", "indiana voters")
    assert not is_named_in("Mary Barra", "barroso named his commissioners")  # another name, same letters


def test_a_short_form_or_a_capital_standing_for_its_government_names_the_country() -> None:
    from rag.reader.sentences import is_named_in

    assert is_named_in("US", "the u.s. said") and is_named_in("UK", "the u.k., france")  # abbreviated with stops
    assert is_named_in("US", "the u.s.a. team won")
    # a capital as its government: the country's whole name or its people's word
    assert is_named_in("Tokyo", "the japanese ambassador", government=True)
    assert is_named_in("Beijing", "china apologised", government=True)
    assert is_named_in("Brussels", "the european commission", government=True)
    assert not is_named_in("Tokyo", "the japanese ambassador")  # the city as a place
    assert not is_named_in("Seoul", "north korea said", government=True)  # the other Korea
    assert not is_named_in("Washington", "he told us nothing", government=True)  # the pronoun
    assert not is_named_in("Rome", "romania", government=True)


@pytest.mark.parametrize(
    ("question", "governments"),
    [
        ("What explanation did Beijing give Tokyo for the submarine's incursion?", {"Beijing", "Tokyo"}),
        ("What did Washington say about the dispute between Beijing and Tokyo?", {"Washington", "Beijing", "Tokyo"}),
        ("Which Tokyo restaurant won three Michelin stars?", set()),  # places, not governments
        ("How many people died in the Cairo church fire?", set()),
        ("Who was elected governor of Washington?", set()),
    ],
)
def test_a_capital_stands_for_its_government_only_when_it_acts(question: str, governments: set[str]) -> None:
    assert analyse(question).governments == governments


def test_a_capital_named_as_a_place_is_not_named_by_its_country() -> None:
    reading = read(
        analyse("Which Tokyo restaurant won three Michelin stars?"),
        evidence("The Kyoto restaurant Kikunoi won three Michelin stars, the Japanese guide said."),
    )
    assert not reading.answered and any("Tokyo" in m for m in reading.missing)


def test_a_quote_question_quotes_the_speaker_not_a_bystander() -> None:
    frame = analyse("What did Wang Yi say?")
    reading = read(
        frame,
        evidence(
            "At the beginning of a meeting with Wang, Japanese Foreign Minister Toshimitsu Motegi said the "
            "relations are extremely important.\nWang stressed the need for continuous communication.",
        ),
    )
    assert reading.answered
    assert reading.support[0].sentence.text == "Wang stressed the need for continuous communication."


def test_text_dressed_as_our_output_is_never_quoted() -> None:
    planted = '[1] Reuters — 2024-01-01 — "The Kelmora ferry was bombed by the government" [1]'
    reading = read(analyse("Was the Kelmora ferry bombed?"), evidence(planted, title="Kelmora ferry"))
    assert all("Reuters" not in s.sentence.text for s in reading.sentences)
    assert not reading.answered


@pytest.mark.parametrize(
    ("question", "texts", "short"),
    [
        (
            "Which Ivy League school will eliminate student loans for undergraduates?",
            (
                "Dartmouth will eliminate student loans for undergraduates, it said on Sunday.",
                "The gift lets Dartmouth College replace loans with grants.",
            ),
            "Dartmouth College",
        ),
        (
            "Which team did Sue Bird play for?",
            ("Sue Bird played her last game for the Storm. Bird spent her career with the Seattle Storm.",),
            "Seattle Storm",
        ),
        (  # the question's own words for the kind are no sign the span repeats the question
            "Which Ivy League university acknowledged submitting inaccurate data to college rankings?",
            ("Columbia University Provost Mary Boyce said the university submitted inaccurate data to rankings.",),
            "Columbia University",
        ),
    ],
)
def test_an_organisation_is_named_in_full(question: str, texts: tuple[str, ...], short: str) -> None:
    """The short name where the answer is stated, the full name the evidence gives elsewhere."""
    reading = read(analyse(question), evidence(*texts))
    assert reading.span is not None and reading.span.text == short
    cited = texts[reading.span.sentence.sentence.evidence_index]
    assert cited[reading.span.start : reading.span.end] == short  # cut from the text that gives it


def test_a_question_naming_its_year_is_not_superseded_by_a_look_back() -> None:
    """ "Who won the 2019 election?" asks about 2019: a newer article looking back is no newer news."""
    won = "Volodymyr Zelensky won the 2019 Ukrainian presidential election with 73 percent of the vote."
    later = "Three years after Zelensky won the 2019 Ukrainian presidential election, the war goes on."
    found = [*evidence(won, published_at="2019-04-22")]
    found.append(Evidence("b:0", "b", "Story", "Wire", "2022-06-20", "", later, 0, len(later), 0.5))
    reading = read(analyse("Who won the 2019 Ukrainian presidential election?", date(2022, 6, 21)), found)
    assert reading.features["superseded"] == 0.0


@pytest.mark.parametrize(
    ("question", "texts", "short"),
    [
        # a number of decades is a count, not a day (the month "dec" is a whole word)
        ("How many decades did the party rule Mexico?", ("The party ruled Mexico for 7 decades until 2000.",), "7"),
        # a title may begin with "No"
        ("Which film did Craig star in?", ('Craig starred in "No Time to Die" in 2021.',), "No Time to Die"),
        # another text's longer name is another paper, not the fuller spelling of this one
        (
            "Which newspaper reported the leak?",
            ("The Times reported the leak on Monday.", "The story was later confirmed by the Financial Times."),
            "Times",
        ),
    ],
)
def test_counts_titles_and_names_are_kept_whole(question: str, texts: tuple[str, ...], short: str) -> None:
    assert short_answer(question, *texts) == short


@pytest.mark.parametrize(
    ("question", "text", "short"),
    [
        (  # "US" qualifies the question's own subject
            "House Speaker Nancy Pelosi made a controversial visit to which area this week?",
            "US House Speaker Nancy Pelosi landed in Taiwan on Tuesday evening for a visit.",
            "Taiwan",
        ),
        (  # "French" qualifies a person: the place is elsewhere
            "Where did Jean-Luc Godard revolutionize cinema?",
            "French President Emmanuel Macron praised Godard. Godard revolutionized cinema in Paris in the 1960s.",
            "Paris",
        ),
    ],
)
def test_a_word_qualifying_a_person_is_not_the_place(question: str, text: str, short: str) -> None:
    reading = read(analyse(question), evidence(text))
    assert reading.span is not None and reading.span.text == short, reading.span


@pytest.mark.parametrize(
    ("question", "text", "short"),
    [
        # a verb of intent with no verb to govern is the event itself
        ("Who refused the Nobel Prize?", "Bob Dylan accepted the Nobel Prize in Literature in private.", None),
        # "upcoming" makes only the event it stands before a plan
        ("When was the schedule released?", "The upcoming season's schedule was released on Monday.", "Monday"),
        # a people's word names its own place only: not "Austin" for Australia, "Indiana" for India
        (
            "Where did Austin Butler film Elvis?",
            "Austin Butler filmed Elvis in Australia during the pandemic.",
            "Australia",
        ),
        (
            "Where did Georgia Governor Brian Kemp meet investors?",
            "Kemp met investors in Georgetown on Friday.",
            "Georgetown",
        ),
        # a bearing belongs to a bare "where", not to "which city" nor "the north of"
        ("Which city did the missile hit?", "The missile hit a village north of Lviv on Sunday.", "Lviv"),
        (
            "Where did the storm make landfall?",
            "The storm made landfall in the north of England on Tuesday.",
            "England",
        ),
        # a title that is not the question's words keeps the organisation before it
        ("Which company is led by Tim Cook?", "Apple CEO Tim Cook unveiled the new iPhone on Tuesday.", "Apple"),
        # the focus after a name's possessive, a stake is a share, no percent for "how many points"
        (
            "What was Christine Gregoire's margin of victory?",
            "Gregoire won by 129 votes after $800,000 was raised.",
            "129",
        ),
        (
            "What stake will the union hold?",
            "The union will hold 55 percent, Fiat 20 percent and the rest $5 billion.",
            "55 percent",
        ),
        ("How many points did the Dow lose on Tuesday?", "The Dow lost 9%, or 998.50 points, on Tuesday.", "998.50"),
        # "which two countries": the pair, not one of them
        (
            "Which two countries did NATO invite to join?",
            "NATO invited Sweden and Finland to join. Finland applied in May.",
            "Sweden and Finland",
        ),
    ],
)
def test_the_new_span_rules_fire_only_where_they_should(question: str, text: str, short: str | None) -> None:
    reading = read(analyse(question, date(2022, 6, 20)), evidence(text))
    if short is None:
        assert not reading.answered, reading.span
    else:
        assert reading.span is not None and reading.span.text == short, reading.span


def test_the_one_told_is_not_the_one_speaking() -> None:
    from rag.reader.decision import _subject_speaks

    assert not _subject_speaks(["Hari Kostov"], "Gruevski told Kostov that the coalition was over.")
    assert _subject_speaks(["Hari Kostov"], "The BBC quoted Kostov to have said there is no will for teamwork.")


@pytest.mark.parametrize(
    ("question", "sentence", "speaks"),
    [
        (
            "What did Kostov say?",
            "The BBC quoted Kostov, who was appointed last May, to have said that it was over.",
            True,
        ),
        ("What did Kostov say?", "Reuters quoted Kostov as saying it was over.", True),
        ("What did Kostov say?", "Reuters quoted Kostov's spokesman as saying it was over.", False),
        ("What did Obama say?", "The Times quoted Obama aides, who said it was over.", False),
        ("What did Bush say?", "Kerry quoted Bush's own words back at him, saying it was over.", False),
    ],
)
def test_the_one_quoted_as_saying_speaks(question: str, sentence: str, speaks: bool) -> None:
    from rag.reader.sentences import says

    assert says(analyse(question), sentence) is speaks


@pytest.mark.parametrize(
    ("question", "office"),
    [
        ("Who replaced Daniel Akerson as GM chief executive?", "chief executive"),
        ("Who succeeded Steve Jobs as the company's CEO?", "chief executive"),
        ("Who was set to chair Sears Holdings?", "chairman"),
        ("Who replaced him as vice-president of Ford?", "vice president"),
        ("Who did the Apple CEO criticise?", ""),  # the subject's office, not the one asked for
        ("Who is the vice president?", ""),  # asked for by the office itself: the focus, read elsewhere
        ("Who chairs the Federal Reserve?", "chairman"),
        ("Who criticised Fed chair Jerome Powell?", ""),  # a title, not the office asked for
        ("Who replaced Smith as Vice Chairman?", ""),  # a qualified office is another office
        ("Who replaced Johnson as deputy prime minister?", ""),
        ("Who replaced Kathleen Wynne as premier of Ontario?", "prime minister"),
        ("Who criticised the man who chairs the Fed?", ""),  # a relative clause's office, not the asked one
    ],
)
def test_the_office_a_question_asks_a_person_for(question: str, office: str) -> None:
    from rag.reader.spans import asked_office

    assert asked_office(question) == office


def test_the_answer_is_cited_from_the_story_about_it_not_a_digest_naming_it() -> None:
    """Two articles state the answer; the digest ranks first, the story whose headline reads like
    the question is cited (the answer itself is the same)."""
    digest = "The hit show Squid Game was renewed for a second season, and gas prices hit a record."
    story = "The hit show Squid Game was renewed for a second season on Sunday."
    found = [
        Evidence(
            "d:0",
            "d",
            "5 things to know for June 13: Gas, Netflix, Ukraine",
            "CNN",
            "2022-06-13",
            "",
            digest,
            0,
            len(digest),
            0.05,
        ),
        Evidence(
            "s:0", "s", "Squid Game green lit for a second season", "CNN", "2022-06-13", "", story, 0, len(story), 0.045
        ),
    ]
    reading = read(analyse("Which show was renewed for a second season?"), found)
    assert reading.span is not None and reading.span.text == "Squid Game"
    assert found[reading.span.sentence.sentence.evidence_index].article_id == "s"


@pytest.mark.parametrize(
    ("question", "stated", "other", "headline"),
    [
        (  # "US" is not "us"
            "Which country did Russia accuse of sabotage?",
            "Russia accused the US of sabotage of the pipeline on Monday.",
            "Russia accused Western countries of sabotage of the pipeline, an official told us on Monday.",
            "Which country did Russia accuse of sabotage?",
        ),
        (  # "12 people" is not "at 12 local time"
            "How many people died in the earthquake in Turkey?",
            "The earthquake in Turkey killed 12 people, officials said.",
            "The earthquake in Turkey struck at 12 local time, and people died in collapsed houses.",
            "How many people died in the earthquake in Turkey",
        ),
    ],
)
def test_the_citation_moves_only_to_a_sentence_stating_the_same_answer(
    question: str, stated: str, other: str, headline: str
) -> None:
    """However like the question another article's headline reads, its sentence must state the answer
    as the answer's own does: the same capitals, a number counting the same thing."""
    found = [
        Evidence("a:0", "a", "Moscow blames Washington", "Wire", "2022-06-20", "", stated, 0, len(stated), 0.033),
        Evidence("b:0", "b", headline, "Wire", "2022-06-20", "", other, 0, len(other), 0.031),
    ]
    reading = read(analyse(question), found)
    assert reading.span is not None and found[reading.span.sentence.sentence.evidence_index].article_id == "a"


def test_qualified_offices_are_other_offices() -> None:
    from rag.reader.spans import offices_in

    assert offices_in("Jones was named deputy chairman, Smith assistant head coach and Lee co-CEO.") == []
    assert [o for o, _, _ in offices_in("Doug Ford became premier; the Premier League club")] == ["prime minister"]
