reset
set terminal pdfcairo size 10in,6.25in enhanced font "DejaVu Serif,9" background rgb "#FFFFFF"
set output '/tmp/h.pdf'
set encoding utf8
set datafile missing NaN
set border 3 lc rgb "#000000"
set tics nomirror textcolor rgb "#000000"
set key top left box lc rgb "#000000"
set title textcolor rgb "#000000"
set grid xtics ytics lc rgb "#D0D0D0" lw 1 dt 3
set xdata
set xtics autofreq
unset key
unset xlabel
unset ylabel
unset logscale y
set palette defined (0 "#0000AF", 0.5 "#FFB000", 1 "#FF5F5F")
set cbtics textcolor rgb "#000000"
set cblabel "sharpe"
plot '$DATA0_0' binary format="%float64%float64%float64" using 1:2:3 with image notitle
unset output
