# Design-based estimates with R survey, for benchmarks/design_vs_r.py (which documents the data).
#
# Usage: Rscript benchmarks/design_vs_r.R DATA.csv OUT_DIR REPEATS
#
# Reads DATA.csv (not timed), then REPEATS times (gc() before each) times, with system.time():
# svydesign(ids=~psu, strata=~stratum, weights=~w, nest=TRUE) on both rounds, and per indicator
# svyby(~y, ~round+district+sex, ., svymean, na.rm=TRUE) (score_*) or
# svyby(~y, ~round+district+sex, ., svyciprop, method="logit", vartype=c("se","ci"),
# na.rm=TRUE) (share_*), on the design without the indicator's missing rows (see df below).
# Writes OUT_DIR/estimates.csv (one row per indicator x domain: estimate, se, ci_low, ci_high,
# df, df_with_missing) and OUT_DIR/timings.csv (read, and elapsed/user/system per repeat).
#
# df: svyciprop's interval uses degf() of the design it is given. Rows without a value leave
# the design before svyby (design[!is.na(y), ], which keeps every PSU's count in the variance,
# as na.rm=TRUE does), so a domain's df is its PSUs minus strata that hold a row with a value:
# the convention of assets/statistics/design.py. On the full design, svyciprop would count
# PSUs whose domain rows are all missing (df_with_missing, computed after the timing).
# Means: the t interval coef +/- qt(0.975, df) * SE on the same per-domain degf(), computed
# after the timing (svymean itself reports no interval).

suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "fail")

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 3) stop("usage: Rscript design_vs_r.R DATA.csv OUT_DIR REPEATS")
data_file <- args[[1]]
out_dir <- args[[2]]
repeats <- as.integer(args[[3]])
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

started <- proc.time()
header <- names(read.csv(data_file, nrows = 1))
classes <- ifelse(header %in% c("round", "district", "sex"), "character",
                  ifelse(header %in% c("stratum", "psu"), "integer", "numeric"))
d <- read.csv(data_file, colClasses = classes)
read_s <- (proc.time() - started)[["elapsed"]]

scores <- grep("^score", names(d), value = TRUE)
shares <- grep("^share", names(d), value = TRUE)
by <- ~round + district + sex

estimate <- function() {
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = d, nest = TRUE)
  results <- list()
  for (y in c(scores, shares)) {
    formula <- as.formula(paste0("~", y))
    answered <- des[!is.na(d[[y]]), ]
    results[[y]] <- if (y %in% scores) {
      svyby(formula, by, answered, svymean, na.rm = TRUE)
    } else {
      svyby(formula, by, answered, svyciprop, method = "logit", vartype = c("se", "ci"),
            na.rm = TRUE)
    }
  }
  list(design = des, results = results)
}

timings <- data.frame(step = "read", elapsed = read_s, user = NA, system = NA)
for (i in seq_len(repeats)) {
  invisible(gc())
  t <- system.time(run <- estimate())
  timings <- rbind(timings, data.frame(step = "estimate", elapsed = t[["elapsed"]],
                                       user = t[["user.self"]], system = t[["sys.self"]]))
}

# Per domain: degf() of the domain without its missing rows (the df used), and of the whole
# domain (what svyciprop would use on the full design).
domain_df <- function(formula, design, ...) {
  answered <- !is.na(design$variables[[all.vars(formula)]])
  c(degf(design[answered, ]), degf(design))
}
rows <- list()
for (y in c(scores, shares)) {
  formula <- as.formula(paste0("~", y))
  dfs <- svyby(formula, by, run$design, domain_df, keep.var = FALSE)
  df <- dfs[["statistic1"]]
  r <- run$results[[y]]
  stopifnot(identical(paste(dfs$round, dfs$district, dfs$sex), paste(r$round, r$district, r$sex)))
  est <- as.vector(coef(r))
  se <- as.vector(SE(r))
  if (y %in% scores) {
    half <- qt(0.975, df) * se
    low <- est - half
    high <- est + half
  } else {
    low <- r[["ci_l"]]
    high <- r[["ci_u"]]
  }
  rows[[y]] <- data.frame(indicator = y, round = r$round, district = r$district, sex = r$sex,
                          estimate = est, se = se, ci_low = low, ci_high = high,
                          df = df, df_with_missing = dfs[["statistic2"]])
}
estimates <- do.call(rbind, rows)
numeric <- c("estimate", "se", "ci_low", "ci_high")
estimates[numeric] <- lapply(estimates[numeric], function(x) sprintf("%.17g", x))
write.csv(estimates, file.path(out_dir, "estimates.csv"), row.names = FALSE)
write.csv(timings, file.path(out_dir, "timings.csv"), row.names = FALSE)
