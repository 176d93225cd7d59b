//! Peruvian names for generated people, picked by a small deterministic generator.

pub const SURNAMES: &[&str] = &[
    "Quispe",
    "Mamani",
    "Huamán",
    "Flores",
    "Rodríguez",
    "García",
    "Sánchez",
    "Rojas",
    "Chávez",
    "Vásquez",
    "Ramos",
    "Torres",
    "Díaz",
    "Mendoza",
    "Castillo",
    "Condori",
    "Ccori",
    "Huanca",
    "Apaza",
    "Cruz",
    "Gutiérrez",
    "Pérez",
    "Gonzales",
    "Ramírez",
    "Fernández",
    "Córdova",
    "Guevara",
    "Tarrillo",
    "Cubas",
    "Bustamante",
    "Alarcón",
    "Neyra",
    "Carrasco",
    "Campos",
    "Delgado",
    "Ñahui",
    "Yupanqui",
    "Tapia",
    "Llontop",
    "Chuquicusma",
];

pub const GIVEN_F: &[&str] = &[
    "María",
    "Rosa",
    "Ana Lucía",
    "Milagros",
    "Yoselin",
    "Nayeli",
    "Dayana",
    "Fiorella",
    "Luz Marina",
    "Sofía",
    "Valeria",
    "Camila",
    "Ximena",
    "Flor de María",
    "Yesenia",
    "Kiara",
    "Antonella",
    "Mía",
];

pub const GIVEN_M: &[&str] = &[
    "José",
    "Luis Alberto",
    "Juan Carlos",
    "Jhon",
    "Brayan",
    "Alexander",
    "Jesús",
    "Miguel Ángel",
    "Diego",
    "Santiago",
    "Mateo",
    "Anthony",
    "Fabricio",
    "Yordi",
    "Cristhian",
    "Elmer",
    "Wilder",
    "Ángel",
];

/// A linear congruential generator: the same seed gives the same world.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// (paternal surname, maternal surname, given names, sex `H`/`M`).
pub fn person(rng: &mut Lcg) -> (String, String, String, String) {
    let female = rng.next().is_multiple_of(2);
    let given = if female {
        rng.pick(GIVEN_F)
    } else {
        rng.pick(GIVEN_M)
    };
    (
        rng.pick(SURNAMES).to_owned(),
        rng.pick(SURNAMES).to_owned(),
        given.to_owned(),
        if female { "M" } else { "H" }.to_owned(),
    )
}
