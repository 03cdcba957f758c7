"""The verifier, class by class: what the rules decide, what goes to the judge, and the seam's verdicts."""

from __future__ import annotations

import math

import pytest

from rag.testing.judge import KeywordJudge
from rag.verify import Verifier, check_rules

DRONES = ("Tensions between Afghanistan and Pakistan have once again erupted after the Taliban accused Islamabad of "
          "carrying out drone strikes in Kabul, killing several people including civilians.")
SOVEREIGNTY = ("Pakistan’s Foreign Office issued a statement emphasizing that the country “respects Afghanistan’s "
               "sovereignty” and has not carried out any strikes in Kabul.")
GUTERRES = ("UN Secretary-General António Guterres has also urged both countries to engage in “direct dialogue” to "
            "prevent further bloodshed.")
HOSPITALS = "Hospitals have appealed for blood donations and medical supplies to treat the wounded."
CASUALTIES = ("According to Taliban officials, at least six people were killed and more than a dozen injured in a series "
              "of early-morning explosions that struck the Khair Khana and Bagrami districts of Kabul.")
MASSACRE = ("Mujahid asserted that these bases were used to plan several major international terrorist attacks, including "
            "the January 2024 bombing in Kerman, Iran, and the March 2024 Crocus City Hall massacre in Moscow.")
FEB27 = ("The two countries have been engaged in ongoing hostilities for several months, and on Feb. 27, Afghan Taliban "
         "troops stormed dozens of Pakistani border positions.")
AIRSTRIKES = ("Since the Taliban seized control of Afghanistan in August 2021, Pakistan has carried out several airstrikes "
              "in border provinces like Khost and Kunar, targeting alleged TTP hideouts.")


@pytest.mark.parametrize(
    ("sentence", "quote", "label"),
    [
        # not vetoed (supported by the rules, or left to the judge): restated closely, attribution kept
        ("The Taliban accused Islamabad of carrying out drone strikes in Kabul.", DRONES, "passes"),
        ("Pakistan's Foreign Office said the country respects Afghanistan's sovereignty.", SOVEREIGNTY, "passes"),
        ("Pakistan said it has not carried out any strikes in Kabul.", SOVEREIGNTY, "passes"),
        ("Guterres urged both countries to engage in direct dialogue.", GUTERRES, "passes"),
        ("Hospitals appealed for blood donations.", HOSPITALS, "passes"),
        ("According to Taliban officials, at least six people were killed in Kabul.", CASUALTIES, "passes"),
        ("Pakistan has carried out airstrikes in Khost and Kunar since August 2021.", AIRSTRIKES, "passes"),
        ("Antonio Guterres urged both countries to engage in direct dialogue.", GUTERRES, "passes"),  # accents fold
        # negation: polarity flipped
        ("Pakistan's Foreign Office said the country does not respect Afghanistan's sovereignty.", SOVEREIGNTY,
         "contradicted"),
        ("Pakistan's Foreign Office said the country has carried out strikes in Kabul.", SOVEREIGNTY, "contradicted"),
        # role swap: accuser and accused, killed and injured
        ("Pakistan accused the Taliban of drone strikes in Kabul.", DRONES, "contradicted"),
        ("According to Taliban officials, at least six people were injured and more than a dozen killed.", CASUALTIES,
         "contradicted"),
        # changed predicate
        ("Guterres rejected direct dialogue.", GUTERRES, "contradicted"),
        # number and date
        ("According to Taliban officials, at least seven people were killed in Kabul.", CASUALTIES, "contradicted"),
        ("Mujahid said the Crocus City Hall massacre in Moscow took place in March 2023.", MASSACRE, "contradicted"),
        ("On Feb. 28, Afghan Taliban troops stormed dozens of Pakistani border positions.", FEB27, "contradicted"),
        ("On March 27, Afghan Taliban troops stormed dozens of Pakistani border positions.", FEB27, "contradicted"),
        # entity swap: rejected, but as unsupported (a name the quote lacks is never a contradiction); names are
        # whole words
        ("Mujahid said the bases were used to plan the bombing in Kerman, Iraq.", MASSACRE, "unsupported"),
        ("Iranian officials said at least six people were killed.", CASUALTIES, "unsupported"),
        # a reported claim stated as fact, and text the quote does not address
        ("Pakistan carried out drone strikes in Kabul.", DRONES, "unsupported"),
        ("The weather in Kabul was sunny and pleasant all week.", CASUALTIES, "unsupported"),
    ],
)
def test_rules_table(sentence: str, quote: str, label: str) -> None:
    verdict = check_rules(sentence, quote)
    if label == "passes":  # a veto never fires on it; whether it is a paraphrase is the judge's call
        assert verdict.label in ("supported", "undecided"), verdict.reason
    else:
        assert verdict.label == label, verdict.reason


def test_a_changed_predicate_the_rules_cannot_name_goes_to_the_judge() -> None:
    assert check_rules("Hospitals donated blood.", HOSPITALS).label == "undecided"  # "donated" only as "donations"


def test_the_judge_decides_only_what_the_rules_leave_undecided() -> None:
    judge = KeywordJudge()
    verifier = Verifier(judge, threshold=0.5)
    assert verifier.check("Guterres rejected direct dialogue.", GUTERRES).label == "contradicted"
    assert judge.calls == 0
    verdict = verifier.check("Hospitals donated blood.", HOSPITALS)
    assert judge.calls == 1 and verdict.judged and not verdict.supported  # "donated" is not in the quote


def test_without_a_judge_an_undecided_sentence_needs_high_coverage() -> None:
    verdict = Verifier(None).check("Hospitals donated blood.", HOSPITALS)
    assert not verdict.judged
    assert Verifier(None).check("Hospitals urgently appealed for blood donations and supplies to treat the wounded "
                                "people.", HOSPITALS).supported is False


def test_verification_time_is_counted() -> None:
    verifier = Verifier(None)
    verifier.check("Guterres urged dialogue.", GUTERRES)
    assert verifier.seconds > 0


def test_a_quotation_checked_against_itself_is_supported() -> None:
    quote = "“We heard drones, then explosions — everything shook,” said Fatima Ahmad, a teacher from Khair Khana."
    assert check_rules(quote, quote).label == "supported"
    bare = "“The skies over Kabul may soon be filled with more than drones.”"
    assert check_rules(bare, bare).label == "supported"


def test_the_judge_fails_closed_when_its_reply_is_neither_yes_nor_no() -> None:
    from rag.verify.judge import _p_from_logprobs

    assert _p_from_logprobs({"The": -0.1, "Maybe": -2.0}) == 0.0  # was 0.5, which passed the 0.5 threshold
    assert _p_from_logprobs({"yes": math.log(0.6), "no": math.log(0.2)}) == pytest.approx(0.75)
