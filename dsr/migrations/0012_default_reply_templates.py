"""The default reply templates, in every language of the public pages; team leads edit them in the admin."""

from __future__ import annotations

from typing import Any

from django.db import migrations

# (kind, language) -> (subject, body). Placeholders: {reference} {vendor} {due} {name}.
DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    ("info", "en"): (
        "Your request {reference}: we need more information",
        "To answer your request to {vendor}, we need more information from you:\n\n"
        "[what is needed]\n\nPlease reply to this email.",
    ),
    ("info", "de"): (
        "Ihre Anfrage {reference}: wir benötigen weitere Angaben",
        "Um Ihre Anfrage an {vendor} zu beantworten, benötigen wir weitere Angaben von Ihnen:\n\n"
        "[was benötigt wird]\n\nBitte antworten Sie auf diese E-Mail.",
    ),
    ("info", "et"): (
        "Teie taotlus {reference}: vajame lisateavet",
        "Teie taotlusele {vendor} vastamiseks vajame teilt lisateavet:\n\n"
        "[mida on vaja]\n\nPalun vastake sellele e-kirjale.",
    ),
    ("info", "fi"): (
        "Pyyntösi {reference}: tarvitsemme lisätietoja",
        "Jotta voimme vastata pyyntöösi, joka koskee yritystä {vendor}, tarvitsemme sinulta lisätietoja:\n\n"
        "[mitä tarvitaan]\n\nVastaa tähän sähköpostiin.",
    ),
    ("identity", "en"): (
        "Your request {reference}: please confirm who you are",
        "Before we answer your request to {vendor}, we must make sure that we are giving the answer to the "
        "right person. Please send us: [what is needed, for example the email address of your account]. "
        "Please do not send a copy of an identity document unless we ask for one.",
    ),
    ("identity", "de"): (
        "Ihre Anfrage {reference}: bitte bestätigen Sie Ihre Identität",
        "Bevor wir Ihre Anfrage an {vendor} beantworten, müssen wir sicherstellen, dass die Antwort die "
        "richtige Person erreicht. Bitte senden Sie uns: [was benötigt wird, zum Beispiel die E-Mail-Adresse "
        "Ihres Kontos]. Bitte senden Sie keine Kopie eines Ausweises, solange wir nicht darum bitten.",
    ),
    ("identity", "et"): (
        "Teie taotlus {reference}: palun kinnitage oma isik",
        "Enne teie taotlusele {vendor} vastamist peame veenduma, et vastus jõuab õige inimeseni. Palun saatke "
        "meile: [mida on vaja, näiteks teie konto e-posti aadress]. Palun ärge saatke isikut tõendava "
        "dokumendi koopiat, kui me seda ei küsi.",
    ),
    ("identity", "fi"): (
        "Pyyntösi {reference}: vahvista henkilöllisyytesi",
        "Ennen kuin vastaamme pyyntöösi, joka koskee yritystä {vendor}, meidän on varmistettava, että vastaus "
        "menee oikealle henkilölle. Lähetä meille: [mitä tarvitaan, esimerkiksi tilisi sähköpostiosoite]. "
        "Älä lähetä kopiota henkilöllisyystodistuksesta, ellemme pyydä sitä.",
    ),
    ("extension", "en"): (
        "Your request {reference}: we need more time",
        "We need more time to answer your request to {vendor}, because [the reasons]. "
        "We will answer by {due} at the latest.",
    ),
    ("extension", "de"): (
        "Ihre Anfrage {reference}: wir benötigen mehr Zeit",
        "Wir benötigen mehr Zeit, um Ihre Anfrage an {vendor} zu beantworten, weil [die Gründe]. "
        "Wir antworten spätestens bis zum {due}.",
    ),
    ("extension", "et"): (
        "Teie taotlus {reference}: vajame rohkem aega",
        "Vajame teie taotlusele {vendor} vastamiseks rohkem aega, sest [põhjused]. "
        "Vastame hiljemalt {due}.",
    ),
    ("extension", "fi"): (
        "Pyyntösi {reference}: tarvitsemme lisäaikaa",
        "Tarvitsemme lisäaikaa vastataksemme pyyntöösi, joka koskee yritystä {vendor}, koska [syyt]. "
        "Vastaamme viimeistään {due}.",
    ),
    ("refusal", "en"): (
        "Your request {reference}: we cannot fulfil it",
        "We cannot fulfil your request to {vendor}, because [the reasons]. If you disagree, you can complain "
        "to the data protection authority or take the matter to court.",
    ),
    ("refusal", "de"): (
        "Ihre Anfrage {reference}: wir können sie nicht erfüllen",
        "Wir können Ihre Anfrage an {vendor} nicht erfüllen, weil [die Gründe]. Wenn Sie nicht einverstanden "
        "sind, können Sie sich bei der Datenschutzaufsichtsbehörde beschweren oder ein Gericht anrufen.",
    ),
    ("refusal", "et"): (
        "Teie taotlus {reference}: me ei saa seda täita",
        "Me ei saa teie taotlust {vendor} täita, sest [põhjused]. Kui te ei ole sellega nõus, võite esitada "
        "kaebuse andmekaitse järelevalveasutusele või pöörduda kohtusse.",
    ),
    ("refusal", "fi"): (
        "Pyyntösi {reference}: emme voi toteuttaa sitä",
        "Emme voi toteuttaa pyyntöäsi, joka koskee yritystä {vendor}, koska [syyt]. Jos olet eri mieltä, "
        "voit tehdä valituksen tietosuojaviranomaiselle tai viedä asian tuomioistuimeen.",
    ),
}


def create(apps: Any, schema_editor: Any) -> None:
    ReplyTemplate = apps.get_model("dsr", "ReplyTemplate")
    for (kind, language), (subject, body) in DEFAULTS.items():
        ReplyTemplate.objects.get_or_create(kind=kind, language=language, defaults={"subject": subject, "body": body})


class Migration(migrations.Migration):
    dependencies = [("dsr", "0011_replies_attachments_templates")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
