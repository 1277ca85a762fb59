"""Made-up people and places for the seed. No real people's data: names are common given/family names
combined at random, emails use reserved example domains."""

from __future__ import annotations

FIRST_NAMES = (
    "Aarav Abena Adaeze Ahmed Aiko Alejandro Amara Ana Anders Anika Arjun Astrid Ayesha Bao Beatriz Bilal "
    "Camille Carlos Chen Chiara Chloe Dara Darius Deepa Diego Elif Elena Emeka Emma Esther Farah Felix Fatima "
    "Gabriel Grace Hana Hassan Ines Ingrid Isabel Jamal Javier Jin Joao Jonas Kavya Kenji Kofi Lars Leila Liam "
    "Lina Lucas Mai Malik Maria Mateo Maya Mei Mohammed Nadia Naomi Nia Nikhil Noah Nour Olga Omar Oscar Paolo "
    "Priya Quinn Rafael Rania Ravi Rosa Ryo Sahana Samuel Sana Sara Sebastian Sofia Soren Tariq Thandiwe Theo "
    "Tomas Valentina Vikram Wei Yara Yusuf Zainab Zoe"
).split()

LAST_NAMES = (
    "Abbott Adeyemi Agarwal Almeida Andersson Bakshi Banerjee Becker Bianchi Castillo Chandra Chowdhury Costa "
    "Dahl Das Delgado Dubois Eriksen Fernandes Fischer Fujita Garcia Gomez Gupta Haddad Hansen Hoffmann Huang "
    "Ibrahim Iyer Jansen Jovanovic Kaur Khan Kim Kowalski Kruger Larsen Lee Lindqvist Lopez Mahlangu Martin "
    "Mendes Moreau Murphy Nakamura Nguyen Novak Obi Okafor Olsen Ortiz Osei Park Patel Pereira Petrov Quispe "
    "Rahman Ramos Rao Reyes Rossi Sato Schmidt Silva Singh Sokolov Suzuki Takahashi Tan Torres Tran Varga "
    "Vasquez Wagner Walsh Wang Weber Williams Wong Yamamoto Yilmaz Zhang Zhou"
).split()

COMPANIES = (
    "Northwind Labs",
    "Contoso Analytics",
    "Fabrikam Systems",
    "Tailspin Robotics",
    "Wingtip Software",
    "Adventure Works",
    "Lamna Health",
    "Proseware",
    "Litware",
    "Blue Yonder Airlines",
    "Coho Logistics",
    "Fourth Coffee",
    "Margie's Travel",
    "Alpine Ski House",
    "Woodgrove Bank",
    "Humongous Insurance",
)

CANDIDATE_TITLES = (
    "Software Engineer",
    "Senior Software Engineer",
    "Backend Engineer",
    "Frontend Developer",
    "Data Analyst",
    "Data Scientist",
    "Product Designer",
    "UX Researcher",
    "Account Executive",
    "Customer Success Lead",
    "Site Reliability Engineer",
    "Engineering Manager",
    "Product Manager",
    "Solutions Architect",
)

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

# Rails-style zone names, as Harvest returns candidate `time_zone` (candidates.json), with their IANA zones.
RAILS_TO_IANA: dict[str, str] = {
    "Eastern Time (US & Canada)": "America/New_York",
    "Central Time (US & Canada)": "America/Chicago",
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "London": "Europe/London",
    "Berlin": "Europe/Berlin",
    "Kolkata": "Asia/Kolkata",
    "Singapore": "Asia/Singapore",
    "Sydney": "Australia/Sydney",
    "Brasilia": "America/Sao_Paulo",
    "Tokyo": "Asia/Tokyo",
}
