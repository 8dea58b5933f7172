/* fuzz_csv.c - the CSV and TSV row reader. */
#include "fuzz.h"
#include "../../db/csv.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int sep = 0; sep < 2; sep++) {
		FILE *fp = fmemopen((void *)data, size ? size : 1, "rb");
		struct csv_reader r;
		if (!fp)
			return 0;
		if (!size)
			fgetc(fp);
		csv_reader_init(&r, fp, sep ? '\t' : ',');
		for (int i = 0; i < 10000 && csv_reader_next(&r) > 0; i++)
			for (size_t f = 0; f < r.nfields; f++)
				if (strlen(csv_field(&r, f)) > csv_field_len(&r, f))
					abort();
		csv_reader_release(&r);
		fclose(fp);
	}
	return 0;
}
